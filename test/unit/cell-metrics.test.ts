import { expect } from 'chai';
import { Registry } from 'prom-client';
import { CellCounter, CellHistogram } from '../../src/telemetry/cell-metrics.js';

/** Serving-path counters and histograms: plain cells, read in Prometheus' text format at scrape time. */
describe('cell metrics', () => {
  it('a counter reports each cell as a series, and forgets removed ones', async () => {
    const registry = new Registry();
    const counter = new CellCounter('x_total', 'Xs.', registry);
    const a = counter.cell({ verb: 'get' });
    const b = counter.cell({ verb: 'list' });
    a.value += 2;
    b.value++;
    expect(await registry.metrics()).to.equal('# HELP x_total Xs.\n# TYPE x_total counter\nx_total{verb="get"} 2\nx_total{verb="list"} 1\n');
    counter.remove(a);
    expect(await registry.metrics()).to.not.contain('verb="get"');
  });

  it('a histogram reports cumulative buckets, +Inf, sum and count', async () => {
    const registry = new Registry();
    const h = new CellHistogram('t_seconds', 'Ts.', registry, [0.1, 1]);
    const c = h.cell({ verb: 'get' });
    for (const v of [0.05, 0.1, 0.5, 3]) h.observe(c, v);
    expect(await registry.metrics()).to.equal(
      [
        '# HELP t_seconds Ts.',
        '# TYPE t_seconds histogram',
        't_seconds_bucket{verb="get",le="0.1"} 2',
        't_seconds_bucket{verb="get",le="1"} 3',
        't_seconds_bucket{verb="get",le="+Inf"} 4',
        't_seconds_sum{verb="get"} 3.65',
        't_seconds_count{verb="get"} 4',
        '',
      ].join('\n'),
    );
  });
});
