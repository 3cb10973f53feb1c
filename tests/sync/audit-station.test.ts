import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mupdf from 'mupdf';
import { judgeAuditScan, type AuditJudgment } from '../../core/audit/judge';
import { auditReportCsv, auditReportPdf } from '../../core/audit/report';
import { auditReportSchema } from '../../core/audit/report-schema';
import { CacheIndex } from '../../core/store/cache-index';
import { createOrg, insertAsset, insertCase, insertGig, type Org } from '../helpers/domain';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { cuttable, drainUntilSettled, openStation, type Station } from '../helpers/station';

// A stock-take on a station with no network (issue 21): every scan judged at once from the
// station's own copy and queued; when the network is back the server judges each again, and the
// two agree — the device's rule (core/audit/judge.ts) and the server's (app.judge_scan) are one
// rule. Then the close moves what was in the wrong place, and the report is the server's.
let stack: TestStack;
let org: Org;
const dir = mkdtempSync(join(tmpdir(), 'audit-station-'));

beforeAll(async () => {
  stack = await startTestStack();
  org = await createOrg(stack, 'audit-station');
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function places(): Promise<{ warehouse: string; shelfA: string; shelfB: string; codeA: string; codeB: string }> {
  const tag = randomUUID().slice(0, 6).toUpperCase();
  const { rows } = await stack.db.query<{ id: string; code: string }>(
    `with w as (insert into public.locations (org_id, kind, code, name) values ($1, 'warehouse', $2, 'North') returning id)
     insert into public.locations (org_id, kind, parent_location_id, code, name)
     select $1, 'shelf'::public.location_kind, w.id, $3, 'Shelf A1' from w
     union all select $1, 'shelf', w.id, $4, 'Shelf B1' from w returning id, code`,
    [org.id, `WH-${tag}`, `A1-${tag}`, `B1-${tag}`],
  );
  const { rows: wh } = await stack.db.query<{ warehouse_id: string }>('select warehouse_id from public.locations where id = $1', [
    rows[0]?.id,
  ]);
  return {
    warehouse: wh[0]?.warehouse_id ?? '',
    shelfA: rows[0]?.id ?? '',
    shelfB: rows[1]?.id ?? '',
    codeA: rows[0]?.code ?? '',
    codeB: rows[1]?.code ?? '',
  };
}

describe('a stock-take on a station, offline', () => {
  let station: Station;
  const offline = { on: false };

  it('judges every scan at once from its copy, queues it, and the server judges each the same when the network is back', async () => {
    const { shelfA, shelfB, codeA, codeB } = await places();
    const gig = await insertGig(stack.db, org.id, { name: 'Harbour Festival', status: 'confirmed' });
    const put = async (id: string, table: 'assets' | 'cases' | 'bulk_items', at: string): Promise<void> => {
      await stack.db.query(`update public.${table} set location_id = $2, home_location_id = $2 where id = $1`, [id, at]);
    };
    const here = await insertAsset(stack.db, org.id, 'MIC-2001', { name: 'Shure SM58' });
    await put(here, 'assets', shelfA);
    const stray = await insertAsset(stack.db, org.id, 'MIC-2002', { name: 'Shure SM58', barcode: 'BC-2002' });
    await put(stray, 'assets', shelfB);
    const gone = await insertAsset(stack.db, org.id, 'MIC-2003', { name: 'Shure Beta 58' });
    await put(gone, 'assets', shelfA);
    const touring = await insertAsset(stack.db, org.id, 'MIC-2004', { name: 'Shure SM58' });
    await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [touring, gig]);
    await insertAsset(stack.db, org.id, 'DI-2005', { name: 'Radial DI' });
    const box = await insertCase(stack.db, org.id, 'CASE-2006');
    await put(box, 'cases', shelfA);
    // A case that went out with its contents (it still names shelf A as its place).
    const away = await insertCase(stack.db, org.id, 'CASE-2007');
    await put(away, 'cases', shelfA);
    const inAway = await insertAsset(stack.db, org.id, 'MIC-2008', { name: 'Shure SM58', caseId: away });
    await stack.db.query("update public.assets set status = 'checked_out', current_gig_id = $2 where id = $1", [inAway, gig]);
    await stack.db.query(
      `insert into public.bulk_items (org_id, category, name, barcode, in_warehouse, location_id, home_location_id)
       values ($1, 'XLR 10 m', 'XLR cable 10 m', 'XLR-10M', 40, $2, $2)`,
      [org.id, shelfB],
    );

    station = await openStation({
      url: stack.url,
      anonKey: stack.anonKey,
      email: org.members.station.email,
      password: org.members.station.password,
      dbPath: join(dir, 'station.sqlite'),
      wrap: cuttable(offline),
    });
    await station.engine.syncNow();
    expect(await station.store.countCached('locations')).toBe(3);
    const index = new CacheIndex(station.store);

    offline.on = true;
    const audit = randomUUID();
    await station.engine.enqueue({ table: 'audits', action: 'start', payload: { id: audit, location_id: shelfA } });
    // What the operator scans: a shelf label first (the place counted), then what is on it.
    const codes = [
      codeA.toLowerCase(),
      'mic-2001',
      'BC-2002',
      'MIC-2004',
      'DI-2005',
      'CASE-2006',
      'CASE-2007',
      'XLR-10M',
      'PRE-0099',
      codeB,
    ];
    const judged: { code: string; judgment: AuditJudgment; op: string | null }[] = [];
    let place = shelfA;
    for (const code of codes) {
      const judgment = await judgeAuditScan(index, place, code);
      if (judgment.kind === 'place') {
        place = judgment.place.id;
        judged.push({ code, judgment, op: null });
        continue;
      }
      const payload = { id: audit, code, location_id: place, ...(judgment.what === 'bulk' ? { quantity: 38 } : {}) };
      const op = await station.engine.enqueue({ table: 'audits', action: 'scan', payload });
      judged.push({ code, judgment, op: op.id });
    }
    expect(judged.map(({ code, judgment }) => [code, judgment.kind])).toEqual([
      [codeA.toLowerCase(), 'place'],
      ['mic-2001', 'found'],
      ['BC-2002', 'wrong_place'],
      ['MIC-2004', 'out_to_gig'],
      ['DI-2005', 'wrong_place'],
      ['CASE-2006', 'found'],
      ['CASE-2007', 'out_to_gig'],
      ['XLR-10M', 'wrong_place'],
      ['PRE-0099', 'unknown'],
      [codeB, 'place'],
    ]);
    const strayJudged = judged[2]?.judgment;
    expect(strayJudged?.kind === 'wrong_place' && strayJudged.belongs?.name).toBe('Shelf B1');
    // Nothing reached the server: the queue holds the start and the eight scans.
    expect((await station.store.stats()).depth).toBe(9);
    expect((await stack.db.query('select 1 from public.audits where id = $1', [audit])).rows).toHaveLength(0);

    offline.on = false;
    await drainUntilSettled(station);
    const { rows: server } = await stack.db.query<{ id: string; kind: string }>(
      'select id, kind from public.audit_scans where audit_id = $1',
      [audit],
    );
    const serverKind = new Map(server.map((r) => [r.id, r.kind]));
    for (const { code, judgment, op } of judged) if (op !== null) expect(serverKind.get(op), code).toBe(judgment.kind);
    expect(server).toHaveLength(8);
  });

  it('closing with adjustments moves what was in the wrong place; the report is the server’s, with what is missing', async () => {
    offline.on = true;
    const { rows } = await stack.db.query<{ id: string }>("select id from public.audits where org_id = $1 and status = 'open'", [org.id]);
    const audit = rows[0]?.id ?? '';
    await station.engine.enqueue({ table: 'audits', action: 'close', payload: { id: audit, adjust: true } });
    offline.on = false;
    await drainUntilSettled(station);
    const { data, error } = await org.members.manager.client.rpc('audit_report', { audit_id: audit });
    expect(error).toBeNull();
    // Read once through the report's schema: what the screens, the CSV and the PDF are made from.
    const report = auditReportSchema.parse(data);
    expect(report.status).toBe('closed');
    expect(Object.fromEntries(report.lines.map((l) => [l.code, l.kind]))).toEqual({
      'MIC-2001': 'found',
      'BC-2002': 'wrong_place',
      'MIC-2004': 'out_to_gig',
      'DI-2005': 'wrong_place',
      'CASE-2006': 'found',
      'CASE-2007': 'out_to_gig',
      // Its contents are counted with it: out to the gig too.
      'MIC-2008': 'out_to_gig',
      'XLR-10M': 'wrong_place',
      'PRE-0099': 'unknown',
      'MIC-2003': 'missing',
    });
    expect(report.totals).toEqual({ found: 2, wrong_place: 3, out_to_gig: 3, unknown: 1, missing: 1 });
    const csv = auditReportCsv(report).split('\r\n');
    expect(csv[0]).toBe('\uFEFFResult,What,Code,Name,Belongs in,Found at,Out to,In case,Expected,Counted,Scanned at (UTC)');
    // What needs doing first: the missing, then what was in the wrong place.
    expect(csv[1]).toMatch(/^Missing,asset,MIC-2003,Shure Beta 58,Shelf A1 \(A1-\w+\),,,,,,$/);
    expect(csv.find((l) => l.startsWith('Wrong place,bulk,XLR-10M'))).toMatch(
      /,Shelf B1 \(B1-\w+\),Shelf A1 \(A1-\w+\),,,0,38,\d{4}-\d\d-\d\dT/,
    );
    expect(csv.find((l) => l.startsWith('Out to a gig,asset,MIC-2004'))).toContain(',Harbour Festival,');
    const pdf = mupdf.Document.openDocument(auditReportPdf(report, '06 Dec 2026 14:32'), 'application/pdf');
    const words = pdf.loadPage(0).toStructuredText('preserve-whitespace').asText();
    for (const line of report.lines) expect(words).toContain(line.code);
    expect(words).toContain('1 missing · 3 wrong place · 1 unknown code · 3 out to a gig · 2 found');
    expect(words).toMatch(/Shure SM58 · belongs in Shelf B1 \(B1-\w+\), found\s+at Shelf A1/);

    // The station's copy learns where things went from its next pull.
    await station.engine.syncNow();
    const index = new CacheIndex(station.store);
    const assets = await index.table('assets');
    const locations = await index.table('locations');
    const shelfA = [...locations.byId.values()].find((l) => l.name === 'Shelf A1')?.id;
    expect(assets.first('barcode', 'BC-2002')?.locationId).toBe(shelfA);
    expect(assets.first('serial', 'DI-2005')?.locationId).toBe(shelfA);
    station.engine.stop();
    station.store.close();
  });
});
