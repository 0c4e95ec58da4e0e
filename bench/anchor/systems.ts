import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { connect } from 'node:net';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeClient } from '../../src/operator/kube/client.js';
import { startControlPlane, freePort, waitUntil, type ControlPlane } from '../../test/harness/control-plane.js';
import { ManagedProcess } from '../../test/harness/processes.js';
import { REPO_ROOT, versions } from '../../test/harness/tools.js';

/**
 * The systems the scale benchmark drives, each in its own process and each
 * behind the same legacy API (POST /register, PUT /updateNode):
 *   anchor          bin/fkas-anchor, upstream FKAS's serving path (hack/anchor)
 *   fkas-embedded   `fkas operator --embedded`, what `npm start` runs
 *   fkas-kube       `fkas operator` against the test harness's real kube-apiserver
 * A System also knows how the load generator gets a cluster's CA, how to force
 * a GC in the process, and (for fkas) how many writes the management API got.
 */

export type SystemName = 'anchor' | 'fkas-embedded' | 'fkas-kube';
export const SYSTEM_NAMES: readonly SystemName[] = ['anchor', 'fkas-embedded', 'fkas-kube'];

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface RegisterAnswer {
  readonly Host: string;
  readonly Port: number;
  readonly CACertificate?: string;
  readonly CAKey?: string;
}

export interface System {
  readonly name: SystemName;
  /** How it runs, for the report header. */
  readonly description: string;
  readonly shimUrl: string;
  /** The process under test (a new one after restart()). */
  readonly pid: number;
  /** From spawning the process to the first HTTP answer of its legacy API (any status). */
  readonly startMs: number;
  /** The cluster's CA, as this system exposes it to a user. */
  caOf(namespace: string, cluster: string, answer: RegisterAnswer): Promise<PemPair>;
  /** Forces a full GC in the system's process; what its heap holds after it, when the system can tell. */
  collectGarbage(): Promise<HeapFigures | undefined>;
  /** Requests the system has sent to its management API so far; undefined when it has none. */
  managementWrites(): Promise<ManagementRequests | undefined>;
  /** The same writes as the management API counted them, when it can tell (kube-apiserver's metrics). */
  serverCountedWrites?(): Promise<number>;
  /**
   * Kills the process (SIGKILL, as a crash or an OOM kill would) and starts it again with the same
   * flags; resolves once the new process runs. Only for systems whose clusters outlive their process.
   */
  restart?(): Promise<void>;
  stop(): Promise<void>;
}

/** A Node process's memory after a forced GC (bench/anchor/operator-hooks.mjs). */
export interface HeapFigures {
  readonly heapUsedBytes: number;
  readonly externalBytes: number;
  /** Memory V8 holds from the OS per heap space (new_space, old_space, code_space…). */
  readonly heapPhysicalBytesBySpace: Record<string, number>;
}

export interface ManagementRequests {
  /** `POST` → count */
  readonly byMethod: Record<string, number>;
  /** `PATCH fakeapiservers/status` → count */
  readonly byResource: Record<string, number>;
}

export interface StartOptions {
  readonly clusters: number;
  readonly portBase: number;
}

const START_TIMEOUT_MS = 120_000;
const BUILD_TIMEOUT_MS = 30 * 60_000;
/** The systems' log level (FKAS_BENCH_LOG_LEVEL=info shows their start-up steps in the kept logs). */
const LOG_LEVEL = process.env.FKAS_BENCH_LOG_LEVEL ?? 'warn';
/** Ports past N that the listener ranges keep spare. */
const PORT_MARGIN = 100;
const BENCH_HOOKS = fileURLToPath(new URL('./operator-hooks.mjs', import.meta.url));

/**
 * The one core a system under test runs on, as the issue's figures were
 * measured: the Go anchor cannot spread over two cores where Node's event loop
 * uses one. Everything else (this process, i.e. the load generator, and the
 * harness's kube-apiserver and etcd, which inherit its affinity) runs on the
 * other core, so no other process takes the system's core: unpinned, a
 * kube-apiserver woken by the system's own request could run on the system's
 * core and stall it for the whole request. Off with BENCH_ANCHOR_PIN=0, or when
 * taskset or a second core is missing.
 */
const SYSTEM_CORE = 1;
const OTHERS_CORE = 0;

export function pinning(): { system: string[]; description: string } {
  if (process.env.BENCH_ANCHOR_PIN === '0') return { system: [], description: 'not pinned (BENCH_ANCHOR_PIN=0)' };
  if (cpus().length < 2 || !existsSync('/usr/bin/taskset')) return { system: [], description: 'not pinned (needs 2 cores and taskset)' };
  return {
    system: ['taskset', '-c', String(SYSTEM_CORE)],
    description: `system under test pinned to core ${SYSTEM_CORE}, load generator and harness kube-apiserver + etcd to core ${OTHERS_CORE} (taskset; BENCH_ANCHOR_PIN=0 turns it off)`,
  };
}

/**
 * Moves every thread of this process to the other core; processes started afterwards inherit it
 * unless started through pinned(). Call before starting anything.
 */
export function pinLoadGenerator(): void {
  if (!pinning().system.length) return;
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(OTHERS_CORE), String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset could not pin the load generator to core ${OTHERS_CORE}: ${r.stderr || r.error?.message}; set BENCH_ANCHOR_PIN=0 to run unpinned`);
}

/** `command args` run through taskset when pinning is on. */
function pinned(command: string, args: readonly string[]): [string, string[]] {
  const prefix = pinning().system;
  return prefix.length ? [prefix[0]!, [...prefix.slice(1), command, ...args]] : [command, [...args]];
}

export async function startSystem(name: SystemName, opts: StartOptions, dir: string): Promise<System> {
  if (name === 'anchor') return startAnchor(opts, dir);
  return startFkas(name, opts, dir);
}

/** Why a system cannot run here, or undefined when it can. */
export function unavailable(name: SystemName): string | undefined {
  if (name !== 'fkas-kube') return undefined;
  const v = versions();
  const cache = process.env.FKAS_TOOLS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'metal3-fkas', 'tools');
  // In bin/, or in the tools cache that `npm run tools` (which the harness runs) copies from.
  const have = (bin: string, version: string): boolean => existsSync(join(REPO_ROOT, 'bin', bin)) || existsSync(join(cache, version, bin));
  if (have('kube-apiserver', v.KUBERNETES_VERSION!) && have('etcd', v.ETCD_VERSION!)) return undefined;
  return `no kube-apiserver ${v.KUBERNETES_VERSION} or etcd ${v.ETCD_VERSION} in bin/ or ${cache}: run \`npm run tools\` first`;
}

export async function benchDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fkas-bench-anchor-'));
}

export async function removeDir(dir: string): Promise<void> {
  if (!process.env.FKAS_KEEP_TEST_DIRS) await rm(dir, { recursive: true, force: true });
}

/** Builds (or copies from the tools cache) bin/fkas-anchor; returns its path and how long that took. */
export async function buildAnchor(): Promise<{ path: string; version: string; seconds: number }> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)('bash', [join(REPO_ROOT, 'hack/anchor/build.sh')], { timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 });
  const path = stdout.trim().split('\n').pop()!;
  const { stdout: version } = await promisify(execFile)(path, ['-version']);
  return { path, version: version.trim(), seconds: (performance.now() - started) / 1000 };
}

async function startAnchor(opts: StartOptions, dir: string): Promise<System> {
  const { path, version } = await buildAnchor();
  const shimPort = await freePort();
  const proc = new ManagedProcess('fkas-anchor', ...pinned(path, [
    '-listen', `127.0.0.1:${shimPort}`, '-host', '127.0.0.1',
    '-min-port', String(opts.portBase), '-max-port', String(opts.portBase + opts.clusters + PORT_MARGIN),
    '-log-level', LOG_LEVEL, '-debug-endpoints',
  ]), join(dir, 'anchor.log'));
  const shimUrl = `http://127.0.0.1:${shimPort}`;
  const spawned = performance.now();
  proc.start();
  const startMs = await firstAnswer(shimUrl, proc, spawned);
  await waitUntil('fkas-anchor', proc, () => accepts(shimPort), START_TIMEOUT_MS);
  return {
    name: 'anchor',
    description: `${path} ${version} (CAPI in-memory server)`,
    shimUrl,
    pid: proc.pid!,
    startMs,
    caOf: async (_ns, _cluster, answer) => {
      if (!answer.CACertificate || !answer.CAKey) throw new Error('the anchor answered /register without CACertificate and CAKey: rebuild it (hack/anchor/build.sh)');
      return { certPem: answer.CACertificate, keyPem: answer.CAKey };
    },
    collectGarbage: async () => {
      const res = await fetch(`${shimUrl}/debug/gc`, { method: 'POST' });
      if (!res.ok) throw new Error(`anchor POST /debug/gc answered ${res.status}: ${await res.text()}`);
      return undefined;
    },
    managementWrites: async () => undefined,
    stop: () => proc.stop(),
  };
}

/**
 * How the operator runs as it ships: the bundle `npm start` runs (dist/fkas.js), built first
 * when missing or older than the sources so the build never lands inside a measurement.
 */
function operatorCommand(): { args: string[]; description: string } {
  const bundle = join(REPO_ROOT, 'dist/fkas.js');
  if (!existsSync(bundle) || newestMtime(join(REPO_ROOT, 'src')) > statSync(bundle).mtimeMs) {
    const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`npm run build failed (exit ${built.status ?? built.signal}): the operator cannot be benchmarked`);
  }
  return { args: [bundle], description: `node ${bundle} (the bundle npm start runs)` };
}

/** Extra operator flags, e.g. FKAS_BENCH_OPERATOR_FLAGS='--cluster-contents minimal' to price what a scale test can leave out. */
function operatorFlags(): string[] {
  return (process.env.FKAS_BENCH_OPERATOR_FLAGS ?? '').split(' ').filter(Boolean);
}

/** Extra flags for the operator's node, e.g. FKAS_BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile it. */
function nodeFlags(): string[] {
  return (process.env.FKAS_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
}

function newestMtime(dir: string): number {
  let newest = 0;
  const walk = (d: string): void => {
    // Synchronous on purpose: it runs once, before any measurement.
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else newest = Math.max(newest, s.mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

async function startFkas(name: 'fkas-embedded' | 'fkas-kube', opts: StartOptions, dir: string): Promise<System> {
  let cp: ControlPlane | undefined;
  if (name === 'fkas-kube') cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
  const [shimPort, probePort, hooksPort, embeddedPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const kubeconfig = cp ? cp.kubeconfigPath : join(dir, 'management.kubeconfig');
  const management = cp ? new URL(cp.server).host : `127.0.0.1:${embeddedPort}`;
  const { args, description } = operatorCommand();
  let starts = 0;
  const operatorProcess = (): ManagedProcess => new ManagedProcess(name, ...pinned(process.execPath, [
    '--expose-gc', ...nodeFlags(), '--import', BENCH_HOOKS, ...args, 'operator',
    ...(cp ? ['--kubeconfig', kubeconfig] : ['--embedded', '--embedded-port', String(embeddedPort), '--embedded-kubeconfig', kubeconfig]),
    '--port-range', `${opts.portBase}-${opts.portBase + opts.clusters + PORT_MARGIN}`,
    '--probe-port', String(probePort), '--shim-port', String(shimPort),
    ...operatorFlags(),
  ]), join(dir, `${name}${starts++ ? `-${starts}` : ''}.log`), { ...process.env, FKAS_LOG_LEVEL: LOG_LEVEL, FKAS_BENCH_HOOKS_PORT: String(hooksPort), FKAS_BENCH_MANAGEMENT: management });
  let proc = operatorProcess();
  const hooks = `http://127.0.0.1:${hooksPort}`;
  let client: KubeClient | undefined;
  let startMs: number;
  try {
    const spawned = performance.now();
    proc.start();
    startMs = await firstAnswer(`http://127.0.0.1:${shimPort}`, proc, spawned);
    await waitUntil(name, proc, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`)).status === 200 && (await accepts(shimPort)), START_TIMEOUT_MS);
    client = KubeClient.fromFile(kubeconfig);
  } catch (err) {
    await proc.stop();
    await cp?.stop();
    throw err;
  }
  const kube = client;
  return {
    name,
    description: `${description}${operatorFlags().length ? ` ${operatorFlags().join(' ')}` : ''}, against ${cp ? `a real kube-apiserver ${versions().KUBERNETES_VERSION} (test/harness)` : 'its embedded management API'}`,
    shimUrl: `http://127.0.0.1:${shimPort}`,
    get pid() {
      return proc.pid!;
    },
    startMs,
    // The CA Secret in CAPI's format (<cluster>-ca), which the operator adopts or creates.
    caOf: async (namespace, cluster) => {
      const secret = await kube.get<{ data?: Record<string, string> }>({ apiVersion: 'v1', plural: 'secrets', namespace, name: `${cluster}-ca` });
      const crt = secret.data?.['tls.crt'];
      const key = secret.data?.['tls.key'];
      if (!crt || !key) throw new Error(`Secret ${namespace}/${cluster}-ca has no tls.crt and tls.key`);
      return { certPem: Buffer.from(crt, 'base64').toString('utf8'), keyPem: Buffer.from(key, 'base64').toString('utf8') };
    },
    collectGarbage: async () => {
      const res = await fetch(`${hooks}/gc`, { method: 'POST' });
      if (!res.ok) throw new Error(`operator bench hook POST /gc answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as HeapFigures;
    },
    managementWrites: async () => {
      const res = await fetch(`${hooks}/writes`);
      if (!res.ok) throw new Error(`operator bench hook GET /writes answered ${res.status}`);
      return (await res.json()) as ManagementRequests;
    },
    // The embedded management API keeps its objects in memory: after a restart there is nothing to serve again.
    ...(cp
      ? {
          serverCountedWrites: () => apiserverWrites(cp),
          restart: async () => {
            proc.killGroup('SIGKILL');
            await proc.stop();
            proc = operatorProcess();
            proc.start();
          },
        }
      : {}),
    stop: async () => {
      kube.close();
      await proc.stop();
      await cp?.stop();
    },
  };
}

const WRITE_VERBS = ['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY'];

/**
 * Writes kube-apiserver has served (apiserver_request_total), leaving out
 * Leases: kube-apiserver renews its own identity Leases, and the operator
 * holds none without --leader-elect.
 */
async function apiserverWrites(cp: ControlPlane): Promise<number> {
  const opts: https.RequestOptions = {};
  await cp.kubeConfig.applyToHTTPSOptions(opts);
  const text = await new Promise<string>((resolve, reject) => {
    https
      .get(new URL('/metrics', cp.server), opts, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`kube-apiserver GET /metrics answered ${res.statusCode}`))));
      })
      .on('error', reject);
  });
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
    if (!WRITE_VERBS.includes(verb) || line.includes('resource="leases"')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Resident set of a process, as the kernel counts it. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  if (!Number.isFinite(kib)) throw new Error(`no VmRSS for pid ${pid} (Linux only)`);
  return kib * 1024;
}

/** Kernel clock ticks per second in /proc/<pid>/stat (USER_HZ: 100 on every Linux ABI Node runs on). */
const USER_HZ = 100;

/**
 * CPU time a process has used so far, every thread (user + system), in ms. Unlike wall times it
 * hardly moves with what else runs on the machine: the figure to compare when the machine is busy.
 */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start at state; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`no utime/stime in /proc/${pid}/stat (Linux only)`);
  return (ticks * 1000) / USER_HZ;
}

/** How often the start-up clock looks for the legacy API. */
const FIRST_ANSWER_POLL_MS = 5;

/** Milliseconds from `since` to the first HTTP answer (any status) from `url`. */
async function firstAnswer(url: string, proc: ManagedProcess, since: number): Promise<number> {
  const deadline = since + START_TIMEOUT_MS;
  for (;;) {
    const answered = await fetch(url, { signal: AbortSignal.timeout(START_TIMEOUT_MS) }).then(
      async (res) => (await res.arrayBuffer(), true),
      () => false,
    );
    if (answered) return performance.now() - since;
    if (!proc.running) throw new Error(`${proc.name} exited before its legacy API answered; see ${proc.logFile}`);
    if (performance.now() > deadline) throw new Error(`${proc.name}: no answer from ${url} within ${START_TIMEOUT_MS} ms; see ${proc.logFile}`);
    await new Promise((r) => setTimeout(r, FIRST_ANSWER_POLL_MS));
  }
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
