import { expect } from 'chai';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { percentile, startShimFixture, type ShimFixture } from '../support/shim-fixture.js';

const IN_FLIGHT = 100;
/**
 * What the shim itself may add between the operator deciding a
 * cluster Ready and the answer (issue 12's /register target is p99 < 2 s end
 * to end). The end-to-end figure is printed, not asserted: it is the
 * operator's creation time, which depends on the machine's load.
 */
const ADDED_P99_LIMIT_MS = 2_000;

describe('the legacy shim with 100 /register calls in flight', function () {
  this.timeout(120_000);
  let f: ShimFixture;

  before(async () => (f = await startShimFixture({ portRange: { min: 31000, max: 31999 }, informers: 'operator' })));
  after(async () => f?.close());

  it(`answers ${IN_FLIGHT} concurrent POST /register calls all with 200, each within ${ADDED_P99_LIMIT_MS} ms (p99) of its cluster turning Ready`, async () => {
    // When the operator decided each one Ready (its status write follows in a batch): what the shim adds is the time from there to the answer.
    const readySeen = new Map<string, number>();
    const statuses = f.operator.context!.statuses.fakeApiServers;
    const unsubscribe = statuses.subscribe((key) => {
      if (!readySeen.has(key) && statuses.decided(key)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) readySeen.set(key, Date.now());
    });
    const calls = f.shimClient.calls.length;
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, i) => {
        const r = await f.send('POST', '/register', { cluster: `load-${i}`, namespace: 'default' });
        return { status: r.status, ms: r.ms, answeredAt: Date.now(), key: `default/load-${i}` };
      }),
    );
    unsubscribe();
    lag.disable();
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const added = results.filter((r) => readySeen.has(r.key)).map((r) => r.answeredAt - readySeen.get(r.key)!).sort((a, b) => a - b);
    const counts = new Map<number, number>();
    for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    console.log(
      `      ${IN_FLIGHT} in flight: p50 ${percentile(ms, 50)} ms, p99 ${percentile(ms, 99)} ms, all answered after ${Date.now() - started} ms ` +
        `(${[...counts].map(([s, n]) => `${n} × ${s}`).join(', ')}); Ready decided → answered: p50 ${percentile(added, 50)} ms, p99 ${percentile(added, 99)} ms; ` +
        `${f.shimClient.calls.length - calls} management-API calls; event-loop delay max ${Math.round(lag.max / 1e6)} ms`,
    );
    expect(results.map((r) => r.status)).to.deep.equal(Array(IN_FLIGHT).fill(200));
    // One create per cluster and nothing else: no reads while waiting.
    expect(f.shimClient.calls.length - calls).to.equal(IN_FLIGHT);
    expect(added).to.have.length(IN_FLIGHT);
    expect(percentile(added, 99)).to.be.below(ADDED_P99_LIMIT_MS);
  });
});
