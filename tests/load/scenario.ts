import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../supabase/local/paths';

/** The steps a scenario may name; each is defined once in steps.js for k6 and the Node driver. */
export const STEPS = ['sign_in', 'save_push_subscription', 'hierarchy', 'search', 'pull', 'push_scans'] as const;
const step = z.enum(STEPS);

export const scenarioSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string(),
  users: z.object({
    count: z.number().int().min(1).max(10_000),
    assetsPerUser: z.number().int().min(1).max(50),
    hierarchyDepth: z.number().int().min(0).max(10),
  }),
  stages: z.array(z.object({ durationS: z.number().positive(), target: z.number().int().min(0) })).min(1),
  thresholds: z.object({ p95Ms: z.number().positive(), errorRate: z.number().min(0).max(1) }),
  once: z.array(step),
  loop: z
    .array(
      z.object({
        step,
        thinkS: z.tuple([z.number().min(0), z.number().min(0)]).refine(([a, b]) => a <= b, 'think time range must be [min, max]'),
      }),
    )
    .min(1),
  searchTerms: z.array(z.string().min(1)).min(1),
});
export type Scenario = z.infer<typeof scenarioSchema>;

export const LOAD_DIR = join(PROJECT_ROOT, 'tests', 'load');

export async function loadScenario(name: string): Promise<Scenario> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`scenario names are lower-case words, got "${name}"`);
  let text: string;
  try {
    text = await readFile(join(LOAD_DIR, `${name}.json`), 'utf8');
  } catch {
    throw new Error(`no scenario "${name}" (tests/load/${name}.json)`);
  }
  const parsed = scenarioSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`tests/load/${name}.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
