import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { OperatorMetrics } from '../../../src/telemetry/metrics.js';

/**
 * The Grafana dashboard the chart ships (charts/metal3-fkas/dashboards/metal3-fkas.json):
 * the panels the README documents, each querying only series the operator exports.
 */
describe('the Grafana dashboard', () => {
  interface Panel {
    title: string;
    targets: { expr: string }[];
  }
  const dashboard = JSON.parse(readFileSync(new URL('../../../charts/metal3-fkas/dashboards/metal3-fkas.json', import.meta.url), 'utf8')) as {
    uid: string;
    panels: Panel[];
  };

  it('has the panels README describes', () => {
    expect(dashboard.panels.map((p) => p.title)).to.deep.equal([
      'Requests/s per cluster',
      'Requests/s per client',
      'Requests/s per verb and resource',
      'Error ratio',
      'Latency quantiles',
      'Open watches',
      'Simulated faults/s',
      'Top clusters by load',
    ]);
  });

  it('queries only metrics the operator exports', async () => {
    const exported = new Set((await new OperatorMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b(fkas_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''))));
    expect(used).to.not.be.empty;
    for (const name of used) expect(exported, name).to.include(name);
  });
});
