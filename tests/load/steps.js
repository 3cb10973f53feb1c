// What each step of a load scenario sends and how its answer updates the virtual user, shared by
// the k6 scripts (festival.k6.js) and the Node driver (driver.ts), so both load the backend the
// same way. Plain ES module: no Node or k6 imports.

/** A test push subscription's keys: well-formed, never delivered to (the endpoint is not real). */
const P256DH = 'B' + 'A'.repeat(86);
const AUTH = 'A'.repeat(22);

/**
 * @param {string} name
 * @param {Record<string, unknown>} body
 */
function rpc(name, body) {
  return { name, method: 'POST', path: `/rest/v1/rpc/${name}`, body, signedIn: true };
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
      return { name: 'sign_in', method: 'POST', path: '/auth/v1/token?grant_type=password', body: { email: user.email, password: user.password }, signedIn: false };
    case 'save_push_subscription':
      return rpc('save_push_subscription', { endpoint: `https://push.load.invalid/${user.device_id}`, p256dh: P256DH, auth: AUTH, user_agent: 'load test' });
    case 'hierarchy':
      return rpc('get_gig_hierarchy', { root_gig_id: user.root_gig_id });
    case 'search':
      return rpc('search', { query: tools.searchTerms[Math.floor(tools.random() * tools.searchTerms.length)] ?? 'mixer', limit: 20 });
    case 'pull':
      return rpc('pull_changes', { cursor: state.cursor, limit: 200 });
    case 'push_scans': {
      // Each crew member scans their own gear out to their gig, and back in on the next round.
      const ops = state.assets.map((asset) =>
        asset.out
          ? { id: tools.newId(), created_at: tools.now(), table: 'assets', action: 'check_in', payload: { id: asset.id, condition: 'ok' } }
          : { id: tools.newId(), created_at: tools.now(), table: 'assets', action: 'check_out', payload: { id: asset.id, gig_id: user.gig_id }, base_version: asset.version },
      );
      return rpc('push_changes', { device_id: user.device_id, ops });
    }
    default:
      throw new Error(`unknown step "${step}"`);
  }
}

/**
 * Updates the virtual user from an answer: the session, the pull cursor, the gear's versions.
 * Returns the op ids the server applied (push_scans) so the driver can check them afterwards.
 * @param {string} step
 * @param {import('./steps').VuState} state
 * @param {any} body
 * @returns {{ applied: string[], unexpected: string[] }}
 */
export function applyAnswer(step, state, body) {
  const outcome = { applied: /** @type {string[]} */ ([]), unexpected: /** @type {string[]} */ ([]) };
  if (step === 'sign_in') state.accessToken = body.access_token;
  if (step === 'pull') state.cursor = body.cursor;
  if (step === 'push_scans') {
    for (const result of body.results) {
      const asset = state.assets.find((a) => a.id === result.entity_id);
      if (result.status === 'applied' && asset !== undefined) {
        asset.out = result.row.status === 'checked_out';
        asset.version = result.row.version;
        outcome.applied.push(result.op_id);
      } else {
        outcome.unexpected.push(`${result.status}${result.code === undefined ? '' : ` ${result.code}`}`);
      }
    }
  }
  return outcome;
}
