import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A tiny separate process that outlives us and stops our children if we die abruptly, so a
 * killed `npm run backend` never leaves postgres or deno holding ports and data directories.
 */
export class Watchdog {
  private readonly child: ChildProcess;

  constructor() {
    this.child = spawn(process.execPath, [fileURLToPath(new URL('./watchdog.cjs', import.meta.url))], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    this.child.unref();
    // The pipe must not keep our event loop alive either.
    const stdin = this.child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
    stdin?.unref?.();
  }

  watchPid(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.stdin?.write(`${JSON.stringify({ pid, signal })}\n`);
  }

  watchPostmaster(pidFile: string): void {
    this.child.stdin?.write(`${JSON.stringify({ postmasterPidFile: pidFile })}\n`);
  }

  /** A throwaway folder to delete once the children are gone. */
  removeDirWhenDone(dir: string): void {
    this.child.stdin?.write(`${JSON.stringify({ removeDir: dir })}\n`);
  }

  /** Our own orderly shutdown has stopped everything: release the watchdog. */
  release(): void {
    this.child.stdin?.end();
  }
}
