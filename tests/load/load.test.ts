import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPABASE_DIR } from '../../supabase/local/paths';
import { seededStack, type SeededStack } from '../bench/seeded-stack';
import { runLoad, targetAt, type LoadRun } from './driver';
import { checkIntegrity } from './integrity';
import { prepareFestival, type UsersFile } from './prepare';
import { LOAD_DIR, loadScenario, STEPS, type Scenario } from './scenario';
import { applyAnswer, stepRequest, type LoadUser } from './steps';

const user: LoadUser = {
  email: 'load-crew-1@northlight.test',
  password: 'pw',
  device_id: 'load-1',
  gig_id: '00000000-0000-4000-8000-000000000001',
  root_gig_id: '00000000-0000-4000-8000-000000000002',
  assets: [{ id: '00000000-0000-4000-8000-000000000003', version: 4 }],
};
const tools = { random: () => 0.5, newId: () => '00000000-0000-4000-8000-0000000000ff', now: () => '2027-07-01T12:00:00Z', searchTerms: ['mixer'] };

/** Public SQL functions the migrations define. */
async function definedRpcs(): Promise<Set<string>> {
  const names = new Set<string>();
  const dir = join(SUPABASE_DIR, 'migrations');
  for (const file of await readdir(dir)) {
    for (const match of (await readFile(join(dir, file), 'utf8')).matchAll(/create (?:or replace )?function public\.([a-z_]+)\s*\(/g)) names.add(match[1] ?? '');
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
    const state = { accessToken: 't', cursor: null, assets: [{ ...user.assets[0]!, out: false }] };
    for (const step of STEPS) {
      const request = stepRequest(step, user, state, tools);
      if (request.path.startsWith('/rest/v1/rpc/')) expect(rpcs, request.path).toContain(request.path.slice('/rest/v1/rpc/'.length));
      else expect(request.path).toBe('/auth/v1/token?grant_type=password');
    }
    expect(() => stepRequest('dance', user, state, tools)).toThrow('unknown step "dance"');
  });

  it('scans gear out with its version, then back in, following the answers', () => {
    const state = { accessToken: 't', cursor: null, assets: [{ ...user.assets[0]!, out: false }] };
    const out = stepRequest('push_scans', user, state, tools);
    expect(out.body).toMatchObject({ device_id: 'load-1', ops: [{ action: 'check_out', base_version: 4, payload: { id: user.assets[0]!.id, gig_id: user.gig_id } }] });
    const answer = { results: [{ op_id: 'op', status: 'applied', entity_id: user.assets[0]!.id, row: { status: 'checked_out', version: 5 } }] };
    expect(applyAnswer('push_scans', state, answer)).toEqual({ applied: ['op'], unexpected: [] });
    expect(stepRequest('push_scans', user, state, tools).body).toMatchObject({ ops: [{ action: 'check_in', payload: { id: user.assets[0]!.id } }] });
    expect(applyAnswer('push_scans', state, { results: [{ op_id: 'x', status: 'rejected', code: 'gig_closed', entity_id: user.assets[0]!.id }] })).toEqual({ applied: [], unexpected: ['rejected gig_closed'] });
  });

  it('has k6 scripts that parse and import only k6, its jslib and the shared steps', async () => {
    const scripts = (await readdir(LOAD_DIR)).filter((f) => f.endsWith('.k6.js'));
    expect(scripts).toContain('festival.k6.js');
    for (const script of scripts) {
      const source = await readFile(join(LOAD_DIR, script), 'utf8');
      await expect(transform(source, { loader: 'js', format: 'esm' }), script).resolves.toBeDefined();
      const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1] ?? '');
      for (const from of imports) expect(from, `${script} imports ${from}`).toMatch(/^(k6(\/[a-z]+)?|https:\/\/jslib\.k6\.io\/.+|\.\/steps\.js)$/);
      for (const opened of source.matchAll(/open\('(\.\/[^']+)'\)/g)) await expect(readFile(join(LOAD_DIR, opened[1] ?? ''), 'utf8')).resolves.toBeTruthy();
    }
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

  beforeAll(async () => {
    env = await seededStack(1, () => undefined);
    const { stack } = env;
    const scenario = await loadScenario('festival');
    cohort = await prepareFestival(stack.dbUrl, { ...scenario, users: { ...scenario.users, count: 12 } }, () => undefined);
    run = await runLoad({ url: stack.url, anonKey: stack.anonKey, scenario, cohort, maxVus: 12, timeScale: 0.12, seed: 3 });
  }, 180_000);
  afterAll(async () => {
    await env?.db.end();
    await env?.stack.stop();
  });

  it('runs every step of the scenario without errors and keeps the data whole', async () => {
    expect([...run.endpoints.keys()].sort()).toEqual(['get_gig_hierarchy', 'pull_changes', 'push_changes', 'save_push_subscription', 'search', 'sign_in']);
    expect(run.errorSamples).toEqual([]);
    expect(run.maxVus).toBe(12);
    expect(run.applied.size).toBeGreaterThan(0);
    const report = await checkIntegrity(env.stack.dbUrl, cohort, run);
    expect(report).toMatchObject({ ok: true, problems: [], appliedOps: run.applied.size, movements: run.applied.size });
  });

  it('reports an applied op without a movement, a foreign row and gear that drifted', async () => {
    const [asset] = [...run.finalAssets];
    const tampered: LoadRun = {
      ...run,
      applied: new Set([...run.applied, '00000000-0000-4000-8000-00000000dead']),
      foreignRows: 1,
      finalAssets: new Map([...run.finalAssets, [asset![0], { ...asset![1], version: asset![1].version + 1 }]]),
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
