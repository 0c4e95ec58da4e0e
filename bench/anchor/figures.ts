import { REGISTER_BURST, type BurstResult, type LoadResult } from './load.js';
import type { HeapFigures, SystemName } from './systems.js';

/** What one system measured at one N, and how the figures are printed against the anchor. */

export interface Measured {
  readonly system: SystemName;
  readonly load: LoadResult;
  /** REGISTER_BURST more clusters registered at once, at the end. */
  readonly burst: BurstResult;
  /** Process start → first answer of its legacy API. */
  readonly startMs: number;
  readonly rssBytes: number;
  readonly heap?: HeapFigures;
  /** kill -9 of the process → every cluster lists its node again, through a new process with the same flags. */
  readonly restartMs?: number;
  /** Writes (POST, PUT, PATCH, DELETE) the management API got during the run and the idle settle after it. */
  readonly writes?: Record<string, number>;
  /** The same requests by method and resource (`PATCH fakeapiservers/status`), reads included. */
  readonly writesByResource?: Record<string, number>;
  /** The same, as kube-apiserver counted them. */
  readonly serverWrites?: number;
  /** Requests by method of the restarted process, which reconciled every object again (steady state: what a resync costs). */
  readonly steadyWrites?: Record<string, number>;
  readonly steadyByResource?: Record<string, number>;
}

export type Outcome = Measured | { readonly system: SystemName; readonly error: string; readonly skipped?: boolean };

interface Figure {
  readonly name: string;
  readonly unit: string;
  /** Whether a bigger number is the better one (for the reader of the ratio). */
  readonly higherIsBetter?: boolean;
  readonly value: (m: Measured) => number | undefined;
}

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

export function writesTotal(byMethod: Record<string, number>): number {
  return WRITE_METHODS.reduce((sum, m) => sum + (byMethod[m] ?? 0), 0);
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const FIGURES: readonly Figure[] = [
  { name: 'clusters registered per second', unit: '/s', higherIsBetter: true, value: (m) => m.load.clusters / (m.load.registerWallMs / 1000) },
  { name: '/register p50', unit: 'ms', value: (m) => percentile(m.load.registerMs, 50) },
  { name: '/register p99', unit: 'ms', value: (m) => percentile(m.load.registerMs, 99) },
  { name: '/updateNode p50', unit: 'ms', value: (m) => percentile(m.load.updateNodeMs, 50) },
  { name: '/updateNode p99', unit: 'ms', value: (m) => percentile(m.load.updateNodeMs, 99) },
  { name: `/register p50, ${REGISTER_BURST} in flight`, unit: 'ms', value: (m) => percentile(m.burst.registerMs, 50) },
  { name: `/register p99, ${REGISTER_BURST} in flight`, unit: 'ms', value: (m) => percentile(m.burst.registerMs, 99) },
  { name: 'time until every cluster answers', unit: 's', value: (m) => (m.load.registerWallMs + m.load.answerWallMs) / 1000 },
  { name: "system's CPU per cluster, register + answer", unit: 'ms', value: (m) => m.load.cpuMs / m.load.clusters },
  { name: 'RSS per idle cluster (process RSS / N)', unit: 'KiB', value: (m) => m.rssBytes / 1024 / m.load.clusters },
  { name: 'process start → legacy API answering', unit: 's', value: (m) => m.startMs / 1000 },
  { name: 'kill -9 and restart → all answer again', unit: 's', value: (m) => (m.restartMs !== undefined ? m.restartMs / 1000 : undefined) },
  { name: 'management-API writes per cluster, creating', unit: '', value: (m) => (m.writes ? writesTotal(m.writes) / m.load.clusters : undefined) },
  { name: 'management-API writes per cluster, steady state', unit: '', value: (m) => (m.steadyWrites ? writesTotal(m.steadyWrites) / m.load.clusters : undefined) },
];

const LABELS: Record<SystemName, string> = { anchor: 'anchor', 'fkas-embedded': 'fkas embedded', 'fkas-kube': 'fkas kube-apiserver' };
const NAME_WIDTH = 52;
const COLUMN_WIDTH = 21;
const RATIO_WIDTH = 8;

/** The table: one column per system, and after each fkas column its ratio to the anchor (fkas ÷ anchor). */
export function table(outcomes: readonly Outcome[]): string[] {
  const anchor = outcomes.find((o): o is Measured => o.system === 'anchor' && !('error' in o));
  const header = ['figure'.padEnd(NAME_WIDTH)];
  for (const o of outcomes) {
    header.push(LABELS[o.system].padStart(COLUMN_WIDTH));
    if (o.system !== 'anchor') header.push('ratio'.padStart(RATIO_WIDTH));
  }
  const lines = [header.join(' '), '-'.repeat(header.join(' ').length)];
  for (const f of FIGURES) {
    const row = [`${f.name}${f.unit ? ` (${f.unit})` : ''}`.padEnd(NAME_WIDTH)];
    for (const o of outcomes) {
      const v = 'error' in o ? undefined : f.value(o);
      row.push(('error' in o ? (o.skipped ? 'skipped' : 'failed') : format(v)).padStart(COLUMN_WIDTH));
      if (o.system === 'anchor') continue;
      const base = anchor ? f.value(anchor) : undefined;
      row.push((v !== undefined && base ? `${format(v / base, 2)}×` : '—').padStart(RATIO_WIDTH));
    }
    lines.push(row.join(' '));
  }
  return lines;
}

export function notes(outcomes: readonly Outcome[]): string[] {
  const out: string[] = [];
  for (const o of outcomes) {
    if ('error' in o) {
      out.push(`${LABELS[o.system]} ${o.skipped ? 'skipped' : 'failed'}: ${o.error}`);
      continue;
    }
    const parts = [`process RSS ${mib(o.rssBytes)} MiB after a forced GC`];
    if (o.heap) {
      const spaces = Object.entries(o.heap.heapPhysicalBytesBySpace).filter(([, b]) => b >= 2 ** 20).map(([n, b]) => `${n} ${mib(b)}`);
      const physical = Object.values(o.heap.heapPhysicalBytesBySpace).reduce((a, b) => a + b, 0);
      parts.push(`of it V8 heap ${mib(physical)} MiB held (${spaces.join(', ')}), ${mib(o.heap.heapUsedBytes)} MiB used; ${mib(o.heap.externalBytes)} MiB external`);
    }
    if (o.writes) parts.push(`management-API requests by method: ${Object.entries(o.writes).sort().map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}`);
    if (o.writesByResource) {
      const writes = Object.entries(o.writesByResource).filter(([k]) => WRITE_METHODS.includes(k.split(' ')[0]!));
      parts.push(`writes per cluster by resource: ${writes.sort().map(([k, n]) => `${k} ${format(n / o.load.clusters, 2)}`).join(', ') || 'none'}`);
    }
    if (o.steadyWrites) parts.push(`steady state (the restarted process reconciling every object again): management-API requests by method ${Object.entries(o.steadyWrites).sort().map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}`);
    if (o.steadyByResource) {
      const writes = Object.entries(o.steadyByResource).filter(([k]) => WRITE_METHODS.includes(k.split(' ')[0]!));
      parts.push(`steady-state writes by resource: ${writes.sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    }
    if (o.serverWrites !== undefined) parts.push(`kube-apiserver's apiserver_request_total counted ${o.serverWrites} writes (Leases left out)`);
    if (o.load.gatewayTimeouts) parts.push(`${o.load.gatewayTimeouts} calls answered 504 and were asked again (their latency counts from the first try)`);
    if (o.load.answeredOnRetry) parts.push(`${o.load.answeredOnRetry} clusters did not list their node at the first GET`);
    out.push(`${LABELS[o.system]}: ${parts.join('; ')}`);
  }
  return out;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

function format(v: number | undefined, digits?: number): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });
}
