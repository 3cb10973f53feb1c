// k6 run tests/load/festival.k6.js — the festival scenario (festival.json) against any Supabase
// project. Needs SUPABASE_URL, SUPABASE_ANON_KEY and LOAD_USERS (the cohort file written by
// `npm run load -- festival --prepare-only --db-url …`). See README → Load testing.
import { check, sleep } from 'k6';
import { SharedArray } from 'k6/data';
import http from 'k6/http';
import { uuidv4 } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';
import { applyAnswer, stepRequest } from './steps.js';

const scenario = JSON.parse(open('./festival.json'));
const cohort = JSON.parse(open(__ENV.LOAD_USERS || './.data/festival-users.json'));
const users = new SharedArray('users', () => cohort.users);
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
  thresholds: {
    http_req_duration: [`p(95)<${scenario.thresholds.p95Ms}`],
    http_req_failed: [`rate<${scenario.thresholds.errorRate}`],
    checks: [`rate>${1 - scenario.thresholds.errorRate}`],
  },
};

// Module scope is per VU in k6: this is one crew member's phone.
const state = { accessToken: null, cursor: cohort.cursor, assets: [] };
let signedIn = false;
const tools = { random: Math.random, newId: uuidv4, now: () => new Date().toISOString(), searchTerms: scenario.searchTerms };

function send(step, user) {
  const request = stepRequest(step, user, state, tools);
  const headers = { apikey: ANON, 'Content-Type': 'application/json', Authorization: `Bearer ${request.signedIn ? state.accessToken : ANON}` };
  const response = http.request(request.method, `${BASE}${request.path}`, JSON.stringify(request.body), { headers, tags: { name: request.name } });
  const ok = check(response, { [`${request.name} answered 2xx`]: (r) => r.status >= 200 && r.status < 300 });
  if (ok) {
    const outcome = applyAnswer(step, state, response.json());
    check(outcome, { [`${request.name} ops applied`]: (o) => o.unexpected.length === 0 });
  }
  return ok;
}

export default function festival() {
  const user = users[(__VU - 1) % users.length];
  if (!signedIn) {
    state.assets = user.assets.map((a) => ({ id: a.id, version: a.version, out: false }));
    for (const step of scenario.once) if (!send(step, user) && step === 'sign_in') return;
    signedIn = true;
  }
  for (const { step, thinkS } of scenario.loop) {
    send(step, user);
    sleep(thinkS[0] + Math.random() * (thinkS[1] - thinkS[0]));
  }
}
