// k6 run tests/load/festival.k6.js — the festival scenario (festival.json) against any Supabase
// project. Needs k6 v0.53.0 or newer (run with v1.3.0), SUPABASE_URL, SUPABASE_ANON_KEY and
// LOAD_USERS (the cohort file written by `npm run load -- festival --prepare-only --db-url …`).
// The end-of-test summary shows http_req_duration for each step (a p95 threshold per step, from
// festival.json). A users file may be used again: the steps take stale item versions from the
// server's answers. See README → Load testing.
import { check, sleep } from 'k6';
import { SharedArray } from 'k6/data';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { uuidv4 } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';
import { applyAnswer, k6Thresholds, startState, stepRequest } from './steps.js';

// Needs k6 v0.53.0 or newer: older k6 runs scripts through Babel 6, which stops at the next line
// with "SyntaxError: … Unexpected token" (it cannot read `??`). Upgrade k6.
const USERS_FILE = __ENV.LOAD_USERS ?? './.data/festival-users.json';

const scenario = JSON.parse(open('./festival.json'));
// Read and parsed once, in the first VU's init: every VU then reads its own user from the shared
// copy (parsing the file in each VU took 2.2 GB at 500 VUs). Each user carries the start cursor.
const users = new SharedArray('users', () => {
  const cohort = JSON.parse(open(USERS_FILE));
  return cohort.users.map((user) => Object.assign({}, user, { cursor: cohort.cursor }));
});
const BASE = __ENV.SUPABASE_URL;
const ANON = __ENV.SUPABASE_ANON_KEY;

export const options = {
  scenarios: {
    festival: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: scenario.stages.map((s) => ({ duration: `${s.durationS}s`, target: s.target })),
      gracefulRampDown: '10s',
    },
  },
  thresholds: k6Thresholds(scenario),
};

/** Items whose version the users file had behind (a reused file), taken from the server. */
const refreshed = new Counter('stale_versions_refreshed');
const tools = { random: Math.random, newId: uuidv4, now: () => new Date().toISOString(), searchTerms: scenario.searchTerms };

// Module scope is per VU in k6: this is one crew member's phone.
let user = null;
let state = null;
let signedIn = false;

function send(step) {
  const request = stepRequest(step, user, state, tools);
  const headers = {
    apikey: ANON,
    'Content-Type': 'application/json',
    Authorization: `Bearer ${request.signedIn ? state.accessToken : ANON}`,
  };
  const response = http.request(request.method, `${BASE}${request.path}`, JSON.stringify(request.body), {
    headers,
    tags: { name: request.name },
  });
  const ok = check(response, { [`${request.name} answered 2xx`]: (r) => r.status >= 200 && r.status < 300 });
  if (ok) {
    const outcome = applyAnswer(step, state, response.json());
    if (outcome.refreshed.length > 0) refreshed.add(outcome.refreshed.length);
    check(outcome, { [`${request.name} ops applied`]: (o) => o.unexpected.length === 0 });
  }
  return ok;
}

export default function festival() {
  if (!signedIn) {
    user = users[(__VU - 1) % users.length];
    state = startState(user, user.cursor);
    for (const step of scenario.once) if (!send(step) && step === 'sign_in') return;
    signedIn = true;
  }
  for (const { step, thinkS } of scenario.loop) {
    send(step);
    sleep(thinkS[0] + Math.random() * (thinkS[1] - thinkS[0]));
  }
}
