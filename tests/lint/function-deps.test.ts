import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../supabase/local/paths';

// Locally the functions resolve npm packages from node_modules (package.json's versions); when
// deployed, from each function's deno.json. The two must name the same versions, or what runs in
// production is not what the tests ran.
const FUNCTIONS = join(PROJECT_ROOT, 'supabase', 'functions');
const pkg = z
  .object({ dependencies: z.record(z.string(), z.string()), devDependencies: z.record(z.string(), z.string()) })
  .parse(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')));
const installed = { ...pkg.dependencies, ...pkg.devDependencies };

describe('edge function dependencies', () => {
  const withConfig = readdirSync(FUNCTIONS, { withFileTypes: true }).filter(
    (e) => e.isDirectory() && existsSync(join(FUNCTIONS, e.name, 'deno.json')),
  );

  it('exist for the functions that import npm packages', () => {
    expect(withConfig.map((e) => e.name)).toContain('notify-staff');
  });

  for (const entry of withConfig) {
    it(`${entry.name}/deno.json pins the versions package.json installs`, () => {
      const config = z
        .object({ imports: z.record(z.string(), z.string()) })
        .parse(JSON.parse(readFileSync(join(FUNCTIONS, entry.name, 'deno.json'), 'utf8')));
      for (const [name, specifier] of Object.entries(config.imports)) {
        const match = /^npm:(@?[^@]+)@(.+)$/.exec(specifier);
        expect(match, `${name} → ${specifier} is not an npm:<package>@<version> specifier`).not.toBeNull();
        expect({ name, version: installed[match?.[1] ?? ''] }).toEqual({ name, version: match?.[2] });
      }
    });
  }
});
