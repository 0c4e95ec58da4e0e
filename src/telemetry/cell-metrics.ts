import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the serving path: each series is a cell its
 * owner keeps and bumps with plain arithmetic (no label hashing, no string
 * building per event, which prom-client's own `inc`/`observe` do on every
 * call); the registry reads the cells at scrape time.
 */

type Labels = Readonly<Record<string, string>>;

interface MetricValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

export interface CounterCell {
  readonly labels: Labels;
  value: number;
}

export interface HistogramCell {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  readonly counts: number[];
  sum: number;
  count: number;
}

abstract class CellMetric<C> {
  readonly aggregator = 'sum';
  protected readonly cells = new Set<C>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** Stops reporting a series (its cluster is gone). */
  remove(cell: C): void {
    this.cells.delete(cell);
  }

  abstract get type(): 'counter' | 'histogram';
  protected abstract values(): MetricValue[];

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() });
  }
}

export class CellCounter extends CellMetric<CounterCell> {
  get type(): 'counter' {
    return 'counter';
  }

  cell(labels: Labels): CounterCell {
    const c = { labels, value: 0 };
    this.cells.add(c);
    return c;
  }

  protected values(): MetricValue[] {
    return [...this.cells].map((c) => ({ labels: { ...c.labels }, value: c.value }));
  }
}

export class CellHistogram extends CellMetric<HistogramCell> {
  constructor(
    name: string,
    help: string,
    registry: Registry,
    readonly buckets: readonly number[],
  ) {
    super(name, help, registry);
  }

  get type(): 'histogram' {
    return 'histogram';
  }

  cell(labels: Labels): HistogramCell {
    const c = { labels, counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
    this.cells.add(c);
    return c;
  }

  /** A linear scan: the bucket lists here are short. */
  observe(cell: HistogramCell, value: number): void {
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    cell.counts[i]!++;
    cell.sum += value;
    cell.count++;
  }

  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const c of this.cells) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += c.counts[i]!;
        out.push({ labels: { ...c.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      out.push({ labels: { ...c.labels, le: '+Inf' }, value: c.count, metricName: `${this.name}_bucket` });
      out.push({ labels: { ...c.labels }, value: c.sum, metricName: `${this.name}_sum` });
      out.push({ labels: { ...c.labels }, value: c.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}
