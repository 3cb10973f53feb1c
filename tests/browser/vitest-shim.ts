import { chai, GLOBAL_EXPECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend, setState, type ExpectStatic } from '@vitest/expect';
import { errorMessage } from '../../core/errors';

/**
 * The part of vitest's API the QueueStore contract uses (describe, it, beforeEach, expect), for
 * running that suite inside a real browser page: `expect` is vitest's own (@vitest/expect over
 * chai), the runner is a plain sequential loop that reports every case.
 */
chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type Hook = () => unknown;
interface Case {
  name: string;
  run: Hook;
  beforeEach: Hook[];
}

const cases: Case[] = [];
const stack: { name: string; beforeEach: Hook[] }[] = [];

export function describe(name: string, body: () => void): void {
  stack.push({ name, beforeEach: [] });
  body();
  stack.pop();
}

export function beforeEach(hook: Hook): void {
  stack[stack.length - 1]?.beforeEach.push(hook);
}

export function it(name: string, run: Hook): void {
  cases.push({ name: [...stack.map((s) => s.name), name].join(' > '), run, beforeEach: stack.flatMap((s) => s.beforeEach) });
}

export const expect = ((value: unknown, message?: string) => {
  setState(
    {
      assertionCalls: 0,
      isExpectingAssertions: false,
      isExpectingAssertionsError: null,
      expectedAssertionsNumber: null,
      expectedAssertionsNumberErrorGen: null,
    },
    expect,
  );
  return chai.expect(value, message);
}) as unknown as ExpectStatic;
Object.assign(expect, chai.expect);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
}

export async function runAll(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    try {
      for (const hook of c.beforeEach) await hook();
      await c.run();
      results.push({ name: c.name, ok: true });
    } catch (error) {
      results.push({ name: c.name, ok: false, error: errorMessage(error) });
    }
  }
  return results;
}
