import { expect } from 'chai';
import net from 'node:net';
import type { Condition, FakeAPIServer, FakeNode } from '../../src/operator/api/v1alpha1.js';
import { eventually, startOperatorFixture, type OperatorFixture } from '../support/operator-fixture.js';

/**
 * What a user reads in `kubectl get fas,fn` when the operator cannot do what
 * the spec asks: a condition that says why and what to change, never only a
 * log line; and ports of the range that other processes hold are skipped.
 */

const FAS = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default' };
const FN = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes', namespace: 'default' };
/** A range of its own, small enough to fill. */
const RANGE = { min: 31100, max: 31104 };
const CRD = { apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions' };

const condition = (o: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);

describe('operator conditions', function () {
  this.timeout(60_000);
  let f: OperatorFixture;
  const held: net.Server[] = [];
  before(async () => (f = await startOperatorFixture({ config: { portRange: RANGE } })));
  afterEach(async () => {
    await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  after(async () => f?.close());

  /** Holds a port as any other process would; false when it is already taken. */
  const hold = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => {
        held.push(s);
        resolve(true);
      });
    });
  const get = (name: string): Promise<FakeAPIServer> => f.client.get<FakeAPIServer>({ ...FAS, name });
  const create = (name: string, spec: Record<string, unknown> = {}): Promise<unknown> => f.client.create(FAS, { apiVersion: FAS.apiVersion, kind: 'FakeAPIServer', metadata: { name, namespace: 'default' }, spec });

  describe('ports held by other processes', () => {
    it('skips every held port of the range and serves on the one that is free', async () => {
      const free = RANGE.max;
      for (let p = RANGE.min; p < free; p++) await hold(p);
      await create('skipper');
      const o = await eventually(async () => {
        const x = await get('skipper');
        return condition(x, 'Ready')?.status === 'True' ? x : undefined;
      }, 'skipper Ready');
      expect(o.status!.endpoint!.port).to.equal(free);
    });

    it('reports PortRangeExhausted, naming the range and what to do, when no port of it is free', async () => {
      for (let p = RANGE.min; p <= RANGE.max; p++) await hold(p);
      await create('crowded');
      const ready = await eventually(async () => {
        const c = condition(await get('crowded'), 'Ready');
        return c?.reason === 'PortRangeExhausted' ? c : undefined;
      }, 'crowded PortRangeExhausted');
      expect(ready.status).to.equal('False');
      expect(ready.message).to.contain(`${RANGE.min}-${RANGE.max}`).and.to.contain('--port-range');
      expect(condition(await get('crowded'), 'Serving')?.reason).to.equal('PortRangeExhausted');
    });

    it('reports PortUnavailable for a spec.port another process holds, and tells the user to pick another', async () => {
      const port = 31150;
      expect(await hold(port)).to.equal(true);
      await create('pinned', { port });
      const ready = await eventually(async () => {
        const c = condition(await get('pinned'), 'Ready');
        return c?.reason === 'PortUnavailable' ? c : undefined;
      }, 'pinned PortUnavailable');
      expect(ready.message).to.contain(String(port)).and.to.contain('spec.port');
    });
  });

  describe('specs the operator cannot act on (an API server that does not check our schema)', () => {
    before(async () => {
      // What an older or schema-less CRD admits: anything under spec.
      for (const name of ['fakeapiservers.fkas.metal3.io', 'fakenodes.fkas.metal3.io']) {
        const crd = await f.client.get<{ spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] } }>({ ...CRD, name });
        for (const v of crd.spec.versions) {
          v.schema.openAPIV3Schema = { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } };
        }
        await f.client.replace({ ...CRD, name }, crd);
      }
    });

    it('marks a FakeAPIServer InvalidSpec, naming each bad field, and serves it once the spec is fixed', async () => {
      await create('typo', { kubernetesVersion: 7, port: 'abc', exposure: 'Sideways' });
      const ready = await eventually(async () => {
        const c = condition(await get('typo'), 'Ready');
        return c?.reason === 'InvalidSpec' ? c : undefined;
      }, 'typo InvalidSpec');
      expect(ready.status).to.equal('False');
      expect(ready.message).to.contain('spec.kubernetesVersion').and.to.contain('spec.port').and.to.contain('spec.exposure');
      expect((await get('typo')).status?.endpoint).to.equal(undefined);

      await f.client.patch({ ...FAS, name: 'typo' }, 'merge', { spec: { kubernetesVersion: 'v1.32.1', port: null, exposure: null } });
      await eventually(async () => condition(await get('typo'), 'Ready')?.status === 'True', 'typo Ready after the fix');
    });

    it('marks a FakeNode InvalidSpec instead of retrying a registration that cannot work', async () => {
      const longName = 'x'.repeat(91);
      await f.client.create(FN, {
        apiVersion: FN.apiVersion,
        kind: 'FakeNode',
        metadata: { name: 'typo-node', namespace: 'default' },
        spec: { clusterName: 'typo', nodeName: 'typo-node', labels: { [`example.com/${longName}`]: 'v' } },
      });
      const registered = await eventually(async () => {
        const c = condition(await f.client.get<FakeNode>({ ...FN, name: 'typo-node' }), 'Registered');
        return c?.reason === 'InvalidSpec' ? c : undefined;
      }, 'typo-node InvalidSpec');
      expect(registered.status).to.equal('False');
      expect(registered.message).to.contain('spec.labels').and.to.contain(longName);
    });
  });
});
