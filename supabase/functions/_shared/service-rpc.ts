import { z } from 'zod';

export interface ServiceRpcConfig {
  url: string;
  serviceRoleKey: string;
  timeoutMs?: number;
}

/** A PostgREST error body, as far as the caller needs it for a message. */
const errorBody = z.object({ message: z.string().optional(), code: z.string().optional() }).loose();

/**
 * Calls a SQL function through the project's REST endpoint with the service role, the way
 * supabase-js' `rpc` does, and parses the answer with the caller's schema: a function only
 * acts on data whose shape it checked.
 */
export async function serviceRpc<T>(
  config: ServiceRpcConfig,
  name: string,
  args: Record<string, unknown>,
  schema: z.ZodType<T>,
): Promise<T> {
  const response = await fetch(`${config.url}/rest/v1/rpc/${name}`, {
    method: 'POST',
    headers: {
      apikey: config.serviceRoleKey,
      Authorization: `Bearer ${config.serviceRoleKey}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(args),
    signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  if (!response.ok) {
    let detail = text.slice(0, 300);
    try {
      const parsed = errorBody.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.message !== undefined) detail = `${parsed.data.code ?? ''} ${parsed.data.message}`.trim();
    } catch {
      // not JSON: the raw text is the detail
    }
    throw new Error(`rpc ${name} answered ${response.status}: ${detail}`);
  }
  const parsed = schema.safeParse(text === '' ? null : JSON.parse(text));
  if (!parsed.success) {
    throw new Error(
      `rpc ${name} answered an unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
