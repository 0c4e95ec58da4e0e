import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/**
 * Child processes of the test harness. Each runs in its own process group
 * so everything it starts dies with it; every group still alive is killed
 * when the test process exits for any reason (a failed test, Ctrl-C, an
 * uncaught exception), so no run leaves orphans behind.
 */

const live = new Set<ManagedProcess>();
let hooked = false;

function killAllNow(): void {
  for (const p of live) p.killGroup('SIGKILL');
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(130);
    });
  }
}

/** How long a process gets between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 5000;

export class ManagedProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly command: string,
    readonly args: readonly string[],
    readonly logFile: string,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    hookExit();
    const out = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(this.command, [...this.args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: this.env });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      live.delete(this);
      resolve(code);
    }));
    child.once('error', () => live.delete(this));
    live.add(this);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    if (!this.child || !this.running) return;
    this.killGroup('SIGTERM');
    const timer = setTimeout(() => this.killGroup('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Resolves with the exit code if the process ends before `ms` (a crash while we wait for readiness). */
  exitedWithin(ms: number): Promise<number | null | 'running'> {
    return Promise.race([this.exited ?? Promise.resolve(null), new Promise<'running'>((r) => setTimeout(() => r('running'), ms))]);
  }
}

/** Pids of every live process whose command line mentions `needle` (to prove nothing was left behind). */
export async function processesMatching(needle: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      if (cmd.includes(needle) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return pids;
}
