import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * A real serial link for tests: socat joins two pseudo-terminals, `device` (what the station
 * opens) and `scanner` (where the test writes what a scanner would send).
 */
export class PtyPair {
  private child: ChildProcess | null = null;

  constructor(
    readonly device: string,
    readonly scanner: string,
  ) {}

  async start(): Promise<void> {
    this.child = spawn('socat', [`pty,raw,echo=0,link=${this.device}`, `pty,raw,echo=0,link=${this.scanner}`], { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    while (!(existsSync(this.device) && existsSync(this.scanner))) {
      if (Date.now() > deadline) throw new Error('socat did not create the pty pair (is socat installed?)');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Pulls the cable: socat goes away and both ends close. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
