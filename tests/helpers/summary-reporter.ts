import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain "N passed, N failed, N skipped" line that any CI can read. A file
 * whose setup failed (its tests never ran, so they count as skipped) is named as failed too.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const brokenFiles: string[] = [];
    for (const module of modules) {
      if (module.state() === 'failed' && module.errors().length > 0) brokenFiles.push(module.moduleId);
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
    }
    const files = brokenFiles.length === 0 ? '' : `, ${brokenFiles.length} file(s) failed to set up`;
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped${files}\n`);
  }
}
