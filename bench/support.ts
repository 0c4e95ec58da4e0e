import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What bench/load-worker.ts prints: one load run against one URL. */
export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

/** Runs a TypeScript worker in its own Node process (through tsx) and parses the JSON line it prints. */
export async function runWorker<T>(script: string, args: string[], nodeOptions: string[] = []): Promise<T> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`${script} exited ${code}: ${out}`);
  return JSON.parse(line) as T;
}

/** Prints one figure with its target, and whether it is met. */
export function report(name: string, value: number, unit: string, target?: { max?: number; min?: number }): void {
  let verdict = '';
  if (target?.max !== undefined) verdict = `target <= ${target.max} ${unit}: ${value <= target.max ? 'met' : 'MISSED'} (ratio ${(value / target.max).toFixed(2)})`;
  if (target?.min !== undefined) verdict = `target >= ${target.min} ${unit}: ${value >= target.min ? 'met' : 'MISSED'} (ratio ${(value / target.min).toFixed(2)})`;
  console.log(`  ${name.padEnd(58)} ${value.toFixed(value < 10 ? 2 : 0).padStart(10)} ${unit.padEnd(6)} ${verdict}`);
}
