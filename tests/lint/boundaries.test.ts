import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../supabase/local/paths';

// The import boundaries are enforced by the project's real ESLint config: lint code as if it
// were a new file in each folder and check what is reported. Type-aware rules are switched off
// for these virtual files (they are in no tsconfig); the boundary rules are not type-aware.
const eslint = new ESLint({
  cwd: PROJECT_ROOT,
  overrideConfig: [
    {
      ...tseslint.configs.disableTypeChecked,
      languageOptions: { parserOptions: { project: false, projectService: false, program: null } },
    },
  ],
});

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${PROJECT_ROOT}/${filePath}` });
  const messages = result?.messages ?? [];
  const fatal = messages.filter((m) => m.fatal === true || m.ruleId === null);
  if (fatal.length > 0) throw new Error(`ESLint could not lint ${filePath}: ${fatal.map((m) => m.message).join('; ')}`);
  return messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ["import { app } from 'electron';", /Only main\/ and preload\/ may import electron/],
    ["import { readFile } from 'node:fs/promises';", /Node built-ins are not available here/],
    ["import { readFile } from 'fs';", /Node built-ins are not available here/],
    ["import Database from 'better-sqlite3';", /Storage and device drivers are platform adapters/],
    ["import { openDB } from 'idb';", /Storage and device drivers are platform adapters/],
    ["import { useState } from 'react';", /core\/ is platform-free: no UI framework/],
    ["import { startLocalStack } from '../supabase/local/stack';", /never imports the local stand-in stack/],
  ])('reports %s in core/', async (code, message) => {
    const found = await violations('core/boundary-probe.ts', `${code}\nexport const x = 1;\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('reports DOM and Node globals in core/', async () => {
    const found = await violations(
      'core/boundary-probe.ts',
      'export const a = window.location.href;\nexport const b = process.env;\nexport const c = indexedDB;\n',
    );
    expect(found).toEqual([
      `Unexpected use of 'window'. core/ is platform-free: "window" is a DOM global; take it as a dependency.`,
      `Unexpected use of 'process'. core/ is platform-free: "process" is a Node global; take it as a dependency.`,
      `Unexpected use of 'indexedDB'. core/ is platform-free: "indexedDB" is a DOM global; take it as a dependency.`,
    ]);
  });

  it.each([
    ["import { ipcRenderer } from 'electron';", /Only main\/ and preload\/ may import electron/],
    ["import { join } from 'node:path';", /Node built-ins are not available here/],
    ["import Database from 'better-sqlite3';", /platform adapters/],
  ])('reports %s in renderer/', async (code, message) => {
    const found = await violations('renderer/src/boundary-probe.tsx', `${code}\nexport const x = 1;\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('reports Node built-ins in the sandboxed preload', async () => {
    const found = await violations(
      'preload/boundary-probe.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    );
    expect(found).toEqual([
      "'node:fs' import is restricted from being used by a pattern. A sandboxed preload has no Node built-ins: expose StationApi and nothing else.",
    ]);
  });

  it('allows what each folder may use', async () => {
    expect(await violations('core/boundary-probe.ts', "import { z } from 'zod';\nexport const s = z.string();\n")).toEqual([]);
    expect(
      await violations(
        'main/boundary-probe.ts',
        "import { ipcMain } from 'electron';\nimport { join } from 'node:path';\nexport const x = [ipcMain, join];\n",
      ),
    ).toEqual([]);
    expect(await violations('renderer/src/boundary-probe.tsx', "import { useState } from 'react';\nexport const x = useState;\n")).toEqual(
      [],
    );
  });
});
