import { generateEcKey } from '../src/pki/keys.js';
import { cpus, loadavg } from 'node:os';
import { createServer } from 'node:net';
import { notes, table, writesTotal, type Measured, type Outcome } from './anchor/figures.js';
import { drive, PARALLEL, REGISTER_BURST, registerBurst } from './anchor/load.js';
import { benchDir, buildAnchor, cpuMs, pinLoadGenerator, pinning, removeDir, rssBytes, startSystem, SYSTEM_NAMES, unavailable, type SystemName } from './anchor/systems.js';

/**
 * `npm run bench -- scale-anchor`: metal3-fkas against the anchor, upstream
 * FKAS's serving path (CAPI's in-memory server behind /register and
 * /updateNode, built from its Go module by hack/anchor/build.sh). One load
 * generator drives every system the same way (bench/anchor/load.ts); each
 * system runs in its own process, one after the other. Prints one table per N
 * with fkas ÷ anchor ratios. Exits non-zero only when a system could not be
 * measured.
 *
 * BENCH_ANCHOR_CLUSTERS  N (default 1000)
 * BENCH_FKAS_MAX         a second, larger N for the anchor and fkas-embedded (e.g. 10000)
 * BENCH_ANCHOR_SYSTEMS   which of anchor,fkas-embedded,fkas-kube to run (default all)
 * FKAS_BENCH_NODE_FLAGS  extra node flags for the fkas operator (profiling: --cpu-prof --cpu-prof-dir=DIR)
 * FKAS_BENCH_OPERATOR_FLAGS extra fkas operator flags (e.g. --cluster-contents minimal)
 * BENCH_ANCHOR_PORT_BASE first port of the fake clusters' range (default 20000; keep
 *                        N + 200 ports below the kernel's ephemeral range, 32768)
 */

const DEFAULT_CLUSTERS = 1000;
const DEFAULT_PORT_BASE = 20000;
/** After the last cluster answers: long enough for status writes, requeues and heartbeats of an idle system to show. */
const SETTLE_MS = 5000;
/** The larger run never goes through a real kube-apiserver: 10,000 CRs there take hours on 2 cores. */
const LARGE_RUN_SYSTEMS: readonly SystemName[] = ['anchor', 'fkas-embedded'];

export async function benchScaleAnchor(): Promise<void> {
  const n = positive('BENCH_ANCHOR_CLUSTERS', DEFAULT_CLUSTERS);
  const large = process.env.BENCH_FKAS_MAX ? positive('BENCH_FKAS_MAX', n) : undefined;
  const systems = selectedSystems();
  const portBase = positive('BENCH_ANCHOR_PORT_BASE', DEFAULT_PORT_BASE);

  console.log(`Scale against the anchor: N clusters, each POST /register + PUT /updateNode of one control-plane node, ${PARALLEL} in parallel;`);
  console.log('then GET /api/v1/nodes on each over TLS with a client certificate from its CA. Each system in its own process, one at a time.');
  console.log('Time until every cluster answers = the register phase + the GET phase; the load generator reading CAs and signing');
  console.log(`client certificates between the two is not counted. Writes are counted from the start of the load to ${SETTLE_MS / 1000} s after it; in steady state,`);
  console.log(`by the restarted process (below) until ${SETTLE_MS / 1000} s after every cluster answers again: it reconciles every object again, as a resync does.`);
  console.log('Then, where clusters outlive the process (fkas against kube-apiserver), kill -9 and a start with the same flags, timed until every cluster lists its node again.');
  console.log(`  machine: ${cpus().length} cores, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);
  pinLoadGenerator();
  console.log(`  cores: ${pinning().description}`);
  if (systems.includes('anchor')) {
    const build = await buildAnchor();
    console.log(`  anchor: ${build.path} ${build.version} (build or cache copy took ${build.seconds.toFixed(1)} s)`);
  }

  let failed = false;
  for (const count of large && large > n ? [n, large] : [n]) {
    const outcomes: Outcome[] = [];
    for (const name of systems) {
      if (count > n && !LARGE_RUN_SYSTEMS.includes(name)) continue;
      const why = unavailable(name);
      if (why) {
        outcomes.push({ system: name, error: why, skipped: true });
        continue;
      }
      const outcome = await measure(name, count, await freeWindow(portBase, count + REGISTER_BURST));
      if ('error' in outcome) failed = true;
      outcomes.push(outcome);
    }
    console.log('');
    console.log(`N = ${count.toLocaleString('en')} (ratio = fkas ÷ anchor: above 1× is more, below is less; for clusters/s higher is better, for the rest lower)`);
    for (const line of table(outcomes)) console.log(`  ${line}`);
    for (const line of notes(outcomes)) console.log(`  ${line}`);
  }
  if (failed) process.exitCode = 1;
}

async function measure(name: SystemName, clusters: number, portBase: number): Promise<Outcome> {
  const dir = await benchDir();
  let system;
  try {
    system = await startSystem(name, { clusters: clusters + REGISTER_BURST, portBase }, dir);
    console.log(`  ${name}: ${system.description}; ports from ${portBase}; logs in ${dir}${process.env.FKAS_KEEP_TEST_DIRS ? '' : ' (removed after; FKAS_KEEP_TEST_DIRS=1 keeps them)'}`);
    const before = await system.managementWrites();
    const serverBefore = await system.serverCountedWrites?.();
    const pid = system.pid;
    const driven = await drive(system, clusters, await generateEcKey(), () => cpuMs(pid));
    const load = driven.result;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const after = await system.managementWrites();
    const serverAfter = await system.serverCountedWrites?.();
    const heap = await system.collectGarbage();
    const rss = await rssBytes(system.pid);
    let restartMs: number | undefined;
    let steady: Awaited<ReturnType<typeof system.managementWrites>>;
    if (system.restart) {
      const killed = performance.now();
      await system.restart();
      restartMs = await driven.answerAgain(killed);
      // Steady state: the new process has reconciled every object again, as a resync does.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      steady = await system.managementWrites();
    }
    // Last, so its clusters count in no other figure.
    const burst = await registerBurst(system, REGISTER_BURST);
    const measured: Measured = { system: name, load, burst, startMs: system.startMs, rssBytes: rss, ...(heap ? { heap } : {}), ...(restartMs !== undefined ? { restartMs } : {}), ...(before && after ? { writes: difference(after.byMethod, before.byMethod), writesByResource: difference(after.byResource, before.byResource) } : {}),
      ...(steady ? { steadyWrites: steady.byMethod, steadyByResource: steady.byResource } : {}),
      ...(serverBefore !== undefined && serverAfter !== undefined ? { serverWrites: serverAfter - serverBefore } : {}),
    };
    if (measured.writes) console.log(`    ${name}: ${writesTotal(measured.writes)} management-API writes`);
    return measured;
  } catch (err) {
    return { system: name, error: `${(err as Error).message.split('\n').slice(0, 6).join('\n    ')} (logs: ${dir})` };
  } finally {
    await system?.stop();
    if (system) await removeDir(dir);
  }
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([m, v]) => [m, v - (before[m] ?? 0)]).filter(([, v]) => (v as number) > 0));
}

/** The first run of `size` + 100 ports from `base` that nothing listens on (other suites may hold some). */
async function freeWindow(base: number, size: number): Promise<number> {
  const wanted = size + 100;
  let start = base;
  for (let port = start; port < start + wanted; port++) {
    if (port > 65535 - wanted) throw new Error(`no ${wanted} free consecutive ports from ${base}: set BENCH_ANCHOR_PORT_BASE`);
    if (!(await canListen(port))) start = port + 1;
  }
  return start;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

function selectedSystems(): SystemName[] {
  const raw = process.env.BENCH_ANCHOR_SYSTEMS;
  if (!raw) return [...SYSTEM_NAMES];
  const names = raw.split(',').map((s) => s.trim());
  for (const s of names) if (!(SYSTEM_NAMES as readonly string[]).includes(s)) throw new Error(`BENCH_ANCHOR_SYSTEMS: ${s} is not one of ${SYSTEM_NAMES.join(', ')}`);
  // The anchor first: every ratio needs it.
  return SYSTEM_NAMES.filter((s) => names.includes(s));
}

function positive(env: string, fallback: number): number {
  const raw = process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${env}=${raw} must be a positive integer`);
  return v;
}
