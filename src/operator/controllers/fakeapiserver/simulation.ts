import type { ClusterSimulation, FakeCluster } from '../../../simulator/cluster.js';
import type { Duration, FakeAPIServer, Simulation } from '../../api/v1alpha1.js';
import type { OperatorContext, ServedCluster } from '../../context.js';
import { CONDITION, type StatusReport } from './status.js';
import { parseDuration as parseGoDuration } from '../../../util/duration.js';

/**
 * ensure-simulation: spec.simulation → the served cluster's simulation (and
 * its request metrics observer, which watches the same serving path),
 * applied live (same listener, same port) and only when it changed. A
 * setting the simulator refuses (an API server that did not enforce the
 * CRD schema) is an InvalidSpec that names it; the cluster keeps the
 * simulation it had.
 */

/** The Simulating condition: True while spec.simulation asks for anything. */
export const SIMULATING = 'Simulating';
/** Longest delay a simulation may add: beyond it clients only see a hang. */
export const MAX_SIMULATED_DELAY_MS = 10 * 60_000;

/** What each cluster was last given, as spec JSON: a reconcile that changes nothing applies nothing. */
const applied = new WeakMap<FakeCluster, string>();

export async function ensureSimulation(ctx: OperatorContext, served: ServedCluster, fas: FakeAPIServer, report: StatusReport): Promise<boolean> {
  // The request metrics of this cluster (per-cluster labels, or the shared aggregate), once per served cluster.
  if (!served.cluster.requestObserver) served.cluster.requestObserver = ctx.requestMetrics?.forCluster(fas.metadata.namespace ?? '', fas.metadata.name);
  const spec = fas.spec?.simulation ?? {};
  const json = JSON.stringify(spec);
  if (applied.get(served.cluster) === json) return true;
  let settings: ClusterSimulation;
  try {
    settings = clusterSimulation(spec);
  } catch (err) {
    await report.fail(CONDITION.ready, 'InvalidSpec', `cannot simulate this spec: ${(err as Error).message} (the cluster keeps its previous simulation)`);
    return false;
  }
  try {
    await served.cluster.setSimulation(settings);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    await report.fail(CONDITION.serving, 'PortUnavailable', `cannot listen again on port ${served.port} after available: false (${code}); another process took it: free it, or remove spec.port to move`);
    return false;
  }
  applied.set(served.cluster, json);
  // Condition and event only when what is simulated changed: a restart, or a cluster without a simulation, writes nothing.
  const summary = describe(spec);
  const before = report.current?.conditions?.find((c) => c.type === SIMULATING);
  if (summary) {
    report.set(SIMULATING, 'True', spec.available === false ? 'Unavailable' : 'Simulating', summary);
    if (before?.status !== 'True' || before.message !== summary) await report.event('Normal', 'SimulationApplied', summary);
  } else if (before?.status === 'True') {
    report.set(SIMULATING, 'False', 'NoSimulation', 'spec.simulation asks for nothing');
    await report.event('Normal', 'SimulationApplied', 'simulation cleared');
  }
  return true;
}

/** spec.simulation (strings) → the simulator's settings (ms); throws naming the field. */
export function clusterSimulation(spec: Simulation): ClusterSimulation {
  const ms = (d: Duration | undefined, field: string): number | undefined => (d === undefined ? undefined : parseDuration(d, `spec.simulation.${field}`));
  const out: { -readonly [K in keyof ClusterSimulation]: ClusterSimulation[K] } = {};
  if (spec.available !== undefined) out.available = spec.available;
  if (spec.latency !== undefined) out.latencyMs = ms(spec.latency, 'latency');
  if (spec.jitter !== undefined) out.jitterMs = ms(spec.jitter, 'jitter');
  if (spec.faults) {
    out.faults = spec.faults.map((f, i) => ({
      ...(f.verbs ? { verbs: f.verbs } : {}),
      ...(f.resources ? { resources: f.resources } : {}),
      ...(f.userAgent ? { userAgent: f.userAgent } : {}),
      code: f.code,
      ...(f.ratio !== undefined ? { ratio: f.ratio } : {}),
      ...(f.latency !== undefined ? { latencyMs: ms(f.latency, `faults[${i}].latency`) } : {}),
    }));
  }
  if (spec.etcd) {
    out.etcd = {
      ...(spec.etcd.latency !== undefined ? { latencyMs: ms(spec.etcd.latency, 'etcd.latency') } : {}),
      ...(spec.etcd.unhealthyMembers ? { unhealthyMembers: spec.etcd.unhealthyMembers } : {}),
      ...(spec.etcd.alarms ? { alarms: spec.etcd.alarms } : {}),
    };
  }
  return out;
}

/** Go-style durations as the CRD pattern accepts them (`1m30s`, `1.5s`, `200ms`), at most MAX_SIMULATED_DELAY_MS. */
export function parseDuration(text: string, field: string): number {
  const total = parseGoDuration(text, field);
  if (total > MAX_SIMULATED_DELAY_MS) throw new Error(`${field} ${text} is longer than the ${MAX_SIMULATED_DELAY_MS / 60_000}m a simulated delay may be`);
  return total;
}

/** One line for the condition and the event; empty when nothing is simulated. */
function describe(spec: Simulation): string {
  const parts: string[] = [];
  if (spec.available === false) parts.push('refusing connections (available: false)');
  if (spec.latency) parts.push(`latency ${spec.latency}${spec.jitter ? ` + up to ${spec.jitter}` : ''}`);
  if (spec.faults?.length) parts.push(`${spec.faults.length} fault rule(s)`);
  const etcd = spec.etcd;
  if (etcd?.latency) parts.push(`etcd latency ${etcd.latency}`);
  if (etcd?.unhealthyMembers?.length) parts.push(`unhealthy etcd members ${etcd.unhealthyMembers.join(', ')}`);
  if (etcd?.alarms?.length) parts.push(`etcd alarms ${etcd.alarms.join(', ')}`);
  return parts.join('; ');
}
