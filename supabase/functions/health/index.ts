// Liveness of the edge runtime, used by stations as one of their connectivity signals.
import { readEnv } from '../_shared/env.ts';
import { corsHeaders, json, jsonError } from '../_shared/http.ts';

const env = readEnv(['SUPABASE_URL']);

Deno.serve((request: Request): Response => {
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: corsHeaders });
  if (request.method !== 'GET' && request.method !== 'POST') {
    return jsonError(405, 'method_not_allowed', `${request.method} is not supported; use GET or POST`);
  }
  return json(200, { status: 'ok', service: 'gigmanager', project: env.SUPABASE_URL, time: new Date().toISOString() });
});
