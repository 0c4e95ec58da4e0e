import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import { Simulator, type ClusterOptions } from '../../src/simulator/simulator.js';

const run = promisify(execFile);

/** A simulator with one fake cluster and an admin kubeconfig on disk, for tests with real clients. */
export interface FakeClusterFixture {
  readonly simulator: Simulator;
  readonly cluster: FakeCluster;
  readonly kubeconfigPath: string;
  readonly dir: string;
  /** Runs the real kubectl against the fake cluster; rejects with stderr on a non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<string>;
  /** Like kubectl, but resolves with the exit code and both outputs instead of rejecting. */
  kubectlResult(args: string[], opts?: { input?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function startFakeCluster(options: Partial<ClusterOptions> = {}): Promise<FakeClusterFixture> {
  const simulator = new Simulator();
  const name = options.name ?? 'test-cluster';
  const cluster = await simulator.createCluster({ ...options, name });
  const dir = await mkdtemp(join(tmpdir(), 'fkas-test-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, await simulator.adminKubeconfig(name), { mode: 0o600 });
  const kubectlResult = async (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfigPath, ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath, HOME: dir, ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    return { code, stdout, stderr };
  };
  return {
    simulator,
    cluster,
    kubeconfigPath,
    dir,
    kubectlResult,
    async kubectl(args, opts) {
      const r = await kubectlResult(args, opts);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    async close() {
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export { run };
