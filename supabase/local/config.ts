import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { z } from 'zod';

/** The parts of supabase/config.toml the local stack honours, with the CLI's defaults. */
const configSchema = z.object({
  api: z
    .object({
      port: z.number().int().default(54321),
      schemas: z.array(z.string()).default(['public', 'graphql_public']),
      max_rows: z.number().int().default(1000),
    })
    .prefault({}),
  auth: z
    .object({
      site_url: z.string().default('http://127.0.0.1:3000'),
      jwt_expiry: z.number().int().positive().default(3600),
      refresh_token_reuse_interval: z.number().int().nonnegative().default(10),
    })
    .prefault({}),
  functions: z.record(z.string(), z.object({ verify_jwt: z.boolean().default(true) }).loose()).default({}),
});

export type SupabaseConfig = z.infer<typeof configSchema>;

export async function readSupabaseConfig(path: string): Promise<SupabaseConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return configSchema.parse({});
  }
  const parsed = configSchema.safeParse(parse(text));
  if (!parsed.success) {
    throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
