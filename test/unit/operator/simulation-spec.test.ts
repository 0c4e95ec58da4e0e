import { expect } from 'chai';
import { clusterSimulation, MAX_SIMULATED_DELAY_MS, parseDuration } from '../../../src/operator/controllers/fakeapiserver/simulation.js';

/** spec.simulation's strings → the simulator's milliseconds. */
describe('spec.simulation → simulator settings', () => {
  it('reads durations as the CRD pattern accepts them', () => {
    expect(parseDuration('200ms', 'f')).to.equal(200);
    expect(parseDuration('2s', 'f')).to.equal(2_000);
    expect(parseDuration('1.5s', 'f')).to.equal(1_500);
    expect(parseDuration('1m30s', 'f')).to.equal(90_000);
    expect(parseDuration('0ms', 'f')).to.equal(0);
  });

  it('refuses anything else, naming the field, and delays longer than the cap', () => {
    for (const bad of ['', 'fast', '5', '2 s', '-1s', '1d', 's']) expect(() => parseDuration(bad, 'spec.simulation.latency'), bad).to.throw(/spec\.simulation\.latency .* is not a duration like 200ms/);
    expect(() => parseDuration('11m', 'x')).to.throw(`longer than the ${MAX_SIMULATED_DELAY_MS / 60_000}m`);
  });

  it('maps every field, leaving out what the spec leaves out', () => {
    expect(
      clusterSimulation({
        available: false,
        latency: '200ms',
        jitter: '50ms',
        faults: [{ verbs: ['list'], resources: ['nodes'], userAgent: 'cluster-api*', code: 503, ratio: 0.5, latency: '2s' }, { code: 429 }],
        etcd: { latency: '50ms', unhealthyMembers: ['node-a'], alarms: ['NOSPACE'] },
      }),
    ).to.deep.equal({
      available: false,
      latencyMs: 200,
      jitterMs: 50,
      faults: [{ verbs: ['list'], resources: ['nodes'], userAgent: 'cluster-api*', code: 503, ratio: 0.5, latencyMs: 2_000 }, { code: 429 }],
      etcd: { latencyMs: 50, unhealthyMembers: ['node-a'], alarms: ['NOSPACE'] },
    });
    expect(clusterSimulation({})).to.deep.equal({});
    expect(() => clusterSimulation({ faults: [{ code: 500, latency: 'soon' }] })).to.throw('spec.simulation.faults[0].latency "soon"');
  });
});
