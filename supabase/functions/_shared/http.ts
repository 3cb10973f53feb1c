/** JSON responses with the CORS headers browsers need to call functions from the PWA. */
export const corsHeaders: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'authorization, x-client-info, apikey, content-type',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
};

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, 'Content-Type': 'application/json; charset=utf-8' },
  });
}

/** Errors leave a function as JSON with a status and a machine-readable code, never a bare 500. */
export function jsonError(status: number, code: string, message: string): Response {
  return json(status, { error: { code, message } });
}
