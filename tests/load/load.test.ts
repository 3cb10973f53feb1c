import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, type Options as AcornOptions } from 'acorn';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPABASE_DIR } from '../../supabase/local/paths';
import { seededStack, type SeededStack } from '../bench/seeded-stack';
import { runLoad, targetAt, type LoadRun } from './driver';
import { checkIntegrity, type IntegrityReport } from './integrity';
import { prepareFestival, type UsersFile } from './prepare';
import { LOAD_DIR, loadScenario, STEPS, type Scenario } from './scenario';
import { k6Harness, type RecordedRequest } from './k6-harness';
import { summarizeRuns } from './spread';
import { applyAnswer, k6Thresholds, requestName, startState, stepRequest, type LoadUser } from './steps';

const user: LoadUser = {
  email: 'load-crew-1@northlight.test',
  password: 'pw',
  device_id: 'load-1',
  gig_id: '00000000-0000-4000-8000-000000000001',
  root_gig_id: '00000000-0000-4000-8000-000000000002',
  assets: [{ id: '00000000-0000-4000-8000-000000000003', version: 4 }],
};
const tools = {
  random: () => 0.5,
  newId: () => '00000000-0000-4000-8000-0000000000ff',
  now: () => '2027-07-01T12:00:00Z',
  searchTerms: ['mixer'],
};

/** Public SQL functions the migrations define. */
async function definedRpcs(): Promise<Set<string>> {
  const names = new Set<string>();
  const dir = join(SUPABASE_DIR, 'migrations');
  for (const file of await readdir(dir)) {
    for (const match of (await readFile(join(dir, file), 'utf8')).matchAll(/create (?:or replace )?function public\.([a-z_]+)\s*\(/g))
      names.add(match[1] ?? '');
  }
  return names;
}

describe('load scenario and k6 scripts', () => {
  let scenario: Scenario;
  beforeAll(async () => {
    scenario = await loadScenario('festival');
  });

  it('reads the festival scenario: 500 VUs, p95 < 200 ms, errors < 0.1%, every step known', () => {
    expect(Math.max(...scenario.stages.map((s) => s.target))).toBe(500);
    expect(scenario.thresholds).toEqual({ p95Ms: 200, errorRate: 0.001 });
    for (const step of [...scenario.once, ...scenario.loop.map((l) => l.step)]) expect(STEPS).toContain(step);
  });

  it('refuses a scenario that is not there or not valid, naming the problem', async () => {
    await expect(loadScenario('no-such')).rejects.toThrow('no scenario "no-such" (tests/load/no-such.json)');
    await expect(loadScenario('../etc')).rejects.toThrow('scenario names are lower-case words');
  });

  it('sends only to endpoints and RPCs that exist', async () => {
    const rpcs = await definedRpcs();
    const state = startState(user, null);
    for (const step of STEPS) {
      const request = stepRequest(step, user, state, tools);
      if (request.path.startsWith('/rest/v1/rpc/')) expect(rpcs, request.path).toContain(request.path.slice('/rest/v1/rpc/'.length));
      else expect(request.path).toBe('/auth/v1/token?grant_type=password');
    }
    expect(() => stepRequest('dance', user, state, tools)).toThrow('unknown step "dance"');
  });

  it('scans gear out with its version, then back in, following the answers', () => {
    const state = startState(user, null);
    const out = stepRequest('push_scans', user, state, tools);
    expect(out.body).toMatchObject({
      device_id: 'load-1',
      ops: [{ action: 'check_out', base_version: 4, payload: { id: user.assets[0]!.id, gig_id: user.gig_id } }],
    });
    const answer = {
      results: [{ op_id: 'op', status: 'applied', entity_id: user.assets[0]!.id, row: { status: 'checked_out', version: 5 } }],
    };
    expect(applyAnswer('push_scans', state, answer)).toEqual({ applied: ['op'], unexpected: [], refreshed: [] });
    expect(stepRequest('push_scans', user, state, tools).body).toMatchObject({
      ops: [{ action: 'check_in', payload: { id: user.assets[0]!.id } }],
    });
    expect(
      applyAnswer('push_scans', state, {
        results: [{ op_id: 'x', status: 'rejected', code: 'gig_closed', entity_id: user.assets[0]!.id }],
      }),
    ).toEqual({ applied: [], unexpected: ['rejected gig_closed'], refreshed: [] });
  });

  it('has k6 scripts that parse and import only k6, its jslib and the shared steps', async () => {
    const scripts = (await readdir(LOAD_DIR)).filter((f) => f.endsWith('.k6.js'));
    expect(scripts).toContain('festival.k6.js');
    for (const script of scripts) {
      const source = await readFile(join(LOAD_DIR, script), 'utf8');
      await expect(transform(source, { loader: 'js', format: 'esm' }), script).resolves.toBeDefined();
      const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1] ?? '');
      for (const from of imports)
        expect(from, `${script} imports ${from}`).toMatch(/^(k6(\/[a-z]+)?|https:\/\/jslib\.k6\.io\/.+|\.\/steps\.js)$/);
      for (const opened of source.matchAll(/open\('(\.\/[^']+)'\)/g))
        await expect(readFile(join(LOAD_DIR, opened[1] ?? ''), 'utf8')).resolves.toBeTruthy();
    }
  });

  it('takes a stale item version from the server’s answer once, and still flags a conflict on a version it heard', () => {
    // A users file from an earlier run: the item moved on to version 9 since the file was written.
    const state = startState(user, 'c0');
    const id = user.assets[0]!.id;
    const stale = {
      results: [{ op_id: 'a', status: 'conflict', code: 'version_mismatch', entity_id: id, row: { id, status: 'available', version: 9 } }],
    };
    expect(applyAnswer('push_scans', state, stale)).toEqual({ applied: [], unexpected: [], refreshed: [id] });
    expect(stepRequest('push_scans', user, state, tools).body).toMatchObject({ ops: [{ action: 'check_out', base_version: 9 }] });
    // Once the VU has heard the item's version from the server, a conflict means someone else moved it.
    expect(applyAnswer('push_scans', state, stale)).toEqual({ applied: [], unexpected: ['conflict version_mismatch'], refreshed: [] });
  });

  it('takes newer versions of its own items from a pull, and ignores older or foreign rows', () => {
    const state = startState(user, 'c0');
    const id = user.assets[0]!.id;
    const pulled = (rows: unknown[]) => ({ changes: { assets: rows }, tombstones: [], cursor: 'c1', has_more: false });
    expect(
      applyAnswer(
        'pull',
        state,
        pulled([
          { id, status: 'checked_out', version: 3 },
          { id: 'someone-else', status: 'available', version: 40 },
        ]),
      ),
    ).toEqual({ applied: [], unexpected: [], refreshed: [] });
    expect(state.assets[0]).toMatchObject({ version: 4, out: false });
    expect(applyAnswer('pull', state, pulled([{ id, status: 'checked_out', version: 6 }]))).toEqual({
      applied: [],
      unexpected: [],
      refreshed: [id],
    });
    expect(state).toMatchObject({ cursor: 'c1', assets: [{ id, version: 6, out: true }] });
    expect(stepRequest('push_scans', user, state, tools).body).toMatchObject({ ops: [{ action: 'check_in' }] });
  });

  it('shares one state and refresh logic between k6 and the Node driver', async () => {
    const k6 = await readFile(join(LOAD_DIR, 'festival.k6.js'), 'utf8');
    const driver = await readFile(join(LOAD_DIR, 'driver.ts'), 'utf8');
    expect(k6).toMatch(/^import \{[^}]*\bapplyAnswer\b[^}]*\bstartState\b[^}]*\} from '\.\/steps\.js';$/m);
    expect(driver).toMatch(/^import \{[^}]*\bapplyAnswer\b[^}]*\bstartState\b[^}]*\} from '\.\/steps';$/m);
    // Neither builds a VU's items or writes their versions itself: steps.js does, once.
    for (const source of [k6, driver]) {
      expect(source).not.toMatch(/\.version\s*=[^=]/);
      expect(source).not.toMatch(/assets\.map\(/);
    }
  });

  it('states its minimum k6 version where older k6 stops, and uses no syntax newer than ES2020', async () => {
    const module = (ecmaVersion: AcornOptions['ecmaVersion']): AcornOptions => ({ ecmaVersion, sourceType: 'module', locations: true });
    const script = await readFile(join(LOAD_DIR, 'festival.k6.js'), 'utf8');
    // k6 ≥ 0.53 runs ES modules natively; every file the script loads parses as ES2020.
    for (const file of ['festival.k6.js', 'steps.js']) {
      const source = await readFile(join(LOAD_DIR, file), 'utf8');
      expect(() => parse(source, module(2020)), file).not.toThrow();
    }
    // Older k6 runs the entry file through Babel 6 first (ES2017 and a little more: no object spread,
    // no `??`), which stops at the first newer syntax and prints that line with the two above it:
    // those say which k6 is needed.
    let line = 0;
    try {
      parse(script, module(2017));
    } catch (error) {
      line = (error as { loc: { line: number } }).loc.line;
    }
    const lines = script.split('\n');
    expect(line, 'festival.k6.js parses as ES2017: older k6 would run it').toBeGreaterThan(0);
    expect(lines[line - 1]).toContain('??');
    expect(lines.slice(Math.max(0, line - 3), line - 1).join('\n')).toMatch(/k6 v0\.53\.0 or newer/);
    expect(lines.slice(0, 12).join('\n'), 'the header names the minimum version').toMatch(/k6 v0\.53\.0 or newer/);
  });

  describe('festival.k6.js in k6’s shoes', () => {
    let dir: string;
    let usersFile: string;
    const answer = (request: RecordedRequest): { status: number; body: unknown } => {
      const name = request.tags['name'];
      if (name === 'sign_in') return { status: 200, body: { access_token: 'token' } };
      if (name === 'pull_changes') return { status: 200, body: { changes: {}, tombstones: [], cursor: 'c1', has_more: false } };
      if (name === 'push_changes') {
        const ops = (request.body as { ops: { id: string; action: string; payload: { id: string }; base_version?: number }[] }).ops;
        return {
          status: 200,
          body: {
            results: ops.map((op) =>
              // The users file is stale: the server has the item at version 9.
              op.action === 'check_out' && op.base_version !== 9
                ? {
                    op_id: op.id,
                    status: 'conflict',
                    code: 'version_mismatch',
                    entity_id: op.payload.id,
                    row: { id: op.payload.id, status: 'available', version: 9 },
                  }
                : {
                    op_id: op.id,
                    status: 'applied',
                    entity_id: op.payload.id,
                    row: { id: op.payload.id, status: op.action === 'check_out' ? 'checked_out' : 'available', version: 10 },
                  },
            ),
          },
        };
      }
      return { status: 200, body: [] };
    };
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'k6-users-'));
      usersFile = join(dir, 'users.json');
      const users = [1, 2, 3].map((n) => ({ ...user, email: `load-crew-${n}@northlight.test`, device_id: `load-${n}` }));
      await writeFile(usersFile, JSON.stringify({ orgId: 'o', festivalId: 'f', cursor: 'c0', users }));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('tags every request with its step’s name and gives every step of the scenario a p95 threshold', async () => {
      const k6 = await k6Harness(
        'festival.k6.js',
        { SUPABASE_URL: 'http://backend', SUPABASE_ANON_KEY: 'anon', LOAD_USERS: usersFile },
        answer,
      );
      const vu = k6.initVu(1);
      vu.iterate();
      vu.iterate();
      const steps = [...scenario.once, ...scenario.loop.map((l) => l.step)];
      expect(new Set(k6.requests.map((r) => r.tags['name']))).toEqual(new Set(steps.map(requestName)));
      for (const step of steps)
        expect(vu.options.thresholds[`http_req_duration{name:${requestName(step)}}`], step).toEqual([`p(95)<${scenario.thresholds.p95Ms}`]);
      expect(vu.options.thresholds).toEqual(k6Thresholds(scenario));
      expect(vu.options.thresholds['http_req_duration']).toEqual(['p(95)<200']);
      // The stale version was taken from the conflict answer and the next round went through.
      expect(k6.failedChecks).toEqual([]);
      const pushes = k6.requests
        .filter((r) => r.tags['name'] === 'push_changes')
        .map((r) => (r.body as { ops: { base_version?: number }[] }).ops[0]?.base_version);
      expect(pushes).toEqual([4, 9]);
    });

    it('parses the users file once, inside the SharedArray, however many VUs start', async () => {
      const k6 = await k6Harness(
        'festival.k6.js',
        { SUPABASE_URL: 'http://backend', SUPABASE_ANON_KEY: 'anon', LOAD_USERS: usersFile },
        answer,
      );
      for (let vu = 1; vu <= 5; vu += 1) k6.initVu(vu).iterate();
      expect(k6.opens.filter((o) => o.path === usersFile)).toEqual([{ path: usersFile, insideSharedArray: true }]);
      expect(new Set(k6.requests.filter((r) => r.tags['name'] === 'sign_in').map((r) => (r.body as { email: string }).email)).size).toBe(3);
    });
  });

  it('sums repeated runs up as the spread of each step’s and the overall percentiles', () => {
    const run = (base: number) =>
      new Map([
        ['search', { requests: 100, errors: 0, latencies: Array.from({ length: 100 }, (_, i) => base + i) }],
        ['sign_in', { requests: 10, errors: 1, latencies: Array.from({ length: 10 }, (_, i) => base * 10 + i) }],
      ]);
    const spread = summarizeRuns([run(10), run(30), run(20)]);
    expect(spread.runs).toBe(3);
    expect(spread.steps['search']).toEqual({
      requests: 300,
      errors: 0,
      p50: { min: 59, median: 69, max: 79 },
      p95: { min: 104, median: 114, max: 124 },
      p99: { min: 108, median: 118, max: 128 },
    });
    expect(spread.steps['sign_in']?.errors).toBe(3);
    expect(spread.all.requests).toBe(330);
    expect(spread.all.p95.min).toBeLessThanOrEqual(spread.all.p95.median);
    expect(spread.all.p95.median).toBeLessThanOrEqual(spread.all.p95.max);
    expect(() => summarizeRuns([])).toThrow('no runs to sum up');
  });

  it('ramps virtual users like k6’s ramping-vus executor', () => {
    const stages = [
      { durationS: 10, target: 100 },
      { durationS: 10, target: 100 },
      { durationS: 10, target: 0 },
    ];
    expect([0, 5, 10, 15, 25, 30].map((t) => targetAt(stages, t))).toEqual([0, 50, 100, 100, 50, 0]);
  });
});

describe('the Node load driver on a local stack', () => {
  let env: SeededStack;
  let cohort: UsersFile;
  let run: LoadRun;
  let firstIntegrity: IntegrityReport;
  /** A second run with the same users file, after every item moved on: both runs' ops together. */
  let reused: LoadRun;

  beforeAll(async () => {
    env = await seededStack(1, () => undefined);
    const { stack } = env;
    const scenario = await loadScenario('festival');
    cohort = await prepareFestival(stack.dbUrl, { ...scenario, users: { ...scenario.users, count: 12 } }, () => undefined);
    run = await runLoad({ url: stack.url, anonKey: stack.anonKey, scenario, cohort, maxVus: 12, timeScale: 0.12, seed: 3 });
    firstIntegrity = await checkIntegrity(stack.dbUrl, cohort, run);
    // Between the runs a manager checks every cohort item in and edits its notes: all available, all
    // at versions the users file has never seen.
    const ids = cohort.users.flatMap((u) => u.assets.map((a) => a.id));
    const { data, error } = await env.manager.rpc('push_changes', {
      device_id: 'load-test-reset',
      ops: ids.map((id) => ({
        id: randomUUID(),
        created_at: new Date().toISOString(),
        table: 'assets',
        action: 'check_in',
        payload: { id, condition: 'ok' },
      })),
    });
    if (error !== null) throw new Error(error.message);
    expect((data as { results: { status: string }[] }).results.every((r) => r.status === 'applied')).toBe(true);
    await env.db.query("update public.assets set notes = 'moved on between load runs' where id = any($1)", [ids]);
    const second = await runLoad({ url: stack.url, anonKey: stack.anonKey, scenario, cohort, maxVus: 12, timeScale: 0.12, seed: 4 });
    reused = { ...second, sent: new Set([...run.sent, ...second.sent]), applied: new Set([...run.applied, ...second.applied]) };
  }, 300_000);
  afterAll(async () => {
    await env?.db.end();
    await env?.stack.stop();
  });

  it('runs every step of the scenario without errors and keeps the data whole', () => {
    expect([...run.endpoints.keys()].sort()).toEqual([
      'get_gig_hierarchy',
      'pull_changes',
      'push_changes',
      'save_push_subscription',
      'search',
      'sign_in',
    ]);
    expect(run.errorSamples).toEqual([]);
    expect(run.maxVus).toBe(12);
    expect(run.applied.size).toBeGreaterThan(0);
    expect(firstIntegrity).toMatchObject({ ok: true, problems: [], appliedOps: run.applied.size, movements: run.applied.size });
    // A fresh users file: nothing was stale.
    expect(run.refreshed).toBe(0);
  });

  it('reuses a users file whose item versions went stale: the steps take the server’s versions and carry on', async () => {
    expect(reused.errorSamples).toEqual([]);
    expect(reused.refreshed).toBeGreaterThan(0);
    expect(reused.applied.size).toBeGreaterThan(run.applied.size);
    const report = await checkIntegrity(env.stack.dbUrl, cohort, reused);
    expect(report).toMatchObject({ ok: true, problems: [], appliedOps: reused.applied.size, movements: reused.applied.size });
  });

  it('reports an applied op without a movement, a foreign row and gear that drifted', async () => {
    const [asset] = [...reused.finalAssets];
    const tampered: LoadRun = {
      ...reused,
      applied: new Set([...reused.applied, '00000000-0000-4000-8000-00000000dead']),
      foreignRows: 1,
      finalAssets: new Map([...reused.finalAssets, [asset![0], { ...asset![1], version: asset![1].version + 1 }]]),
    };
    const report = await checkIntegrity(env.stack.dbUrl, cohort, tampered);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      '1 applied op(s) have no movement',
      '1 asset(s) differ from what their crew member last heard',
      '1 row(s) of another organization reached a pull',
    ]);
  });
});
