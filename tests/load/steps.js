// What each step of a load scenario sends and how its answer updates the virtual user, shared by
// the k6 scripts (festival.k6.js) and the Node driver (driver.ts), so both load the backend the
// same way. Plain ES module: no Node or k6 imports.

/** A test push subscription's keys: well-formed, never delivered to (the endpoint is not real). */
const P256DH = 'B' + 'A'.repeat(86);
const AUTH = 'A'.repeat(22);

/**
 * The request name each step sends: k6 tags its requests with it (`http_req_duration{name:…}`)
 * and the Node driver reports by it.
 * @type {Record<string, string>}
 */
const REQUEST_NAMES = {
  sign_in: 'sign_in',
  save_push_subscription: 'save_push_subscription',
  hierarchy: 'get_gig_hierarchy',
  search: 'search',
  pull: 'pull_changes',
  push_scans: 'push_changes',
};

/**
 * @param {string} step
 * @returns {string}
 */
export function requestName(step) {
  if (!Object.prototype.hasOwnProperty.call(REQUEST_NAMES, step)) throw new Error(`unknown step "${step}"`);
  return REQUEST_NAMES[step];
}

/**
 * k6 thresholds for a scenario: its p95 and error rate over all requests, and its p95 for each
 * step on its own. k6's end-of-test summary lists a tagged sub-metric only when a threshold names
 * it, so this is also what makes the summary show every step.
 * @param {import('./scenario').Scenario} scenario
 * @returns {Record<string, string[]>}
 */
export function k6Thresholds(scenario) {
  const p95 = `p(95)<${scenario.thresholds.p95Ms}`;
  /** @type {Record<string, string[]>} */
  const thresholds = {
    http_req_duration: [p95],
    http_req_failed: [`rate<${scenario.thresholds.errorRate}`],
    checks: [`rate>${1 - scenario.thresholds.errorRate}`],
  };
  for (const step of [...scenario.once, ...scenario.loop.map((l) => l.step)])
    thresholds[`http_req_duration{name:${requestName(step)}}`] = [p95];
  return thresholds;
}

/**
 * @param {string} step
 * @param {Record<string, unknown>} body
 */
function rpc(step, body) {
  const name = requestName(step);
  return { name, method: 'POST', path: `/rest/v1/rpc/${name}`, body, signedIn: true };
}

/**
 * A virtual user before its first request: its items as the users file has them. The file may be
 * older than the items (a second run with the same file): the answers correct it (see learn).
 * @param {import('./steps').LoadUser} user
 * @param {string | null} cursor
 * @returns {import('./steps').VuState}
 */
export function startState(user, cursor) {
  return { accessToken: null, cursor, assets: user.assets.map((a) => ({ id: a.id, version: a.version, out: false, heard: false })) };
}

/**
 * Takes the server's row of one of the VU's own items, unless it is older than what the VU knows
 * (versions only grow). Returns whether the VU's version was behind.
 * @param {{ version: number, out: boolean, heard: boolean }} asset
 * @param {any} row
 */
function learn(asset, row) {
  if (row === null || typeof row !== 'object' || typeof row.version !== 'number' || row.version < asset.version) return false;
  const behind = row.version > asset.version;
  asset.version = row.version;
  asset.out = row.status === 'checked_out';
  asset.heard = true;
  return behind;
}

/**
 * The request for a step.
 * @param {string} step
 * @param {import('./steps').LoadUser} user
 * @param {import('./steps').VuState} state
 * @param {{ random: () => number, newId: () => string, now: () => string, searchTerms: string[] }} tools
 * @returns {import('./steps').StepRequest}
 */
export function stepRequest(step, user, state, tools) {
  switch (step) {
    case 'sign_in':
      return {
        name: requestName(step),
        method: 'POST',
        path: '/auth/v1/token?grant_type=password',
        body: { email: user.email, password: user.password },
        signedIn: false,
      };
    case 'save_push_subscription':
      return rpc(step, { endpoint: `https://push.load.invalid/${user.device_id}`, p256dh: P256DH, auth: AUTH, user_agent: 'load test' });
    case 'hierarchy':
      return rpc(step, { root_gig_id: user.root_gig_id });
    case 'search':
      return rpc(step, { query: tools.searchTerms[Math.floor(tools.random() * tools.searchTerms.length)] ?? 'mixer', limit: 20 });
    case 'pull':
      // A crew phone keeps its member's gigs (the scope "mine"): the page of the log is the whole
      // organization's, the rows fetched only those of its gigs.
      return rpc(step, { cursor: state.cursor, limit: 200, scope: { kind: 'mine' } });
    case 'push_scans': {
      // Each crew member scans their own gear out to their gig, and back in on the next round.
      const ops = state.assets.map((asset) =>
        asset.out
          ? { id: tools.newId(), created_at: tools.now(), table: 'assets', action: 'check_in', payload: { id: asset.id, condition: 'ok' } }
          : {
              id: tools.newId(),
              created_at: tools.now(),
              table: 'assets',
              action: 'check_out',
              payload: { id: asset.id, gig_id: user.gig_id },
              base_version: asset.version,
            },
      );
      return rpc(step, { device_id: user.device_id, ops });
    }
    default:
      throw new Error(`unknown step "${step}"`);
  }
}

/**
 * Updates the virtual user from an answer: the session, the pull cursor, its items' versions.
 * Returns the op ids the server applied (push_scans) so the driver can check them afterwards, what
 * went wrong, and the items whose version the VU had behind (taken from the server: a pulled row,
 * or a conflict on an item the VU had not heard of from the server yet — a reused users file).
 * @param {string} step
 * @param {import('./steps').VuState} state
 * @param {any} body
 * @returns {{ applied: string[], unexpected: string[], refreshed: string[] }}
 */
export function applyAnswer(step, state, body) {
  const outcome = {
    applied: /** @type {string[]} */ ([]),
    unexpected: /** @type {string[]} */ ([]),
    refreshed: /** @type {string[]} */ ([]),
  };
  if (step === 'sign_in') state.accessToken = body.access_token;
  if (step === 'pull') {
    state.cursor = body.cursor;
    // A phone applies what it pulls: rows of its own items bring their current versions.
    const rows = body.changes !== null && typeof body.changes === 'object' && Array.isArray(body.changes.assets) ? body.changes.assets : [];
    for (const row of rows) {
      const asset = state.assets.find((a) => a.id === row.id);
      if (asset !== undefined && learn(asset, row)) outcome.refreshed.push(asset.id);
    }
  }
  if (step === 'push_scans') {
    for (const result of body.results) {
      const asset = state.assets.find((a) => a.id === result.entity_id);
      if (result.status === 'applied' && asset !== undefined) {
        learn(asset, result.row);
        outcome.applied.push(result.op_id);
      } else if (
        result.status === 'conflict' &&
        result.code === 'version_mismatch' &&
        asset !== undefined &&
        !asset.heard &&
        learn(asset, result.row)
      ) {
        // The users file's version was stale; the op goes again, at the server's version, next round.
        outcome.refreshed.push(asset.id);
      } else {
        outcome.unexpected.push(`${result.status}${result.code === undefined ? '' : ` ${result.code}`}`);
      }
    }
  }
  return outcome;
}
