import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Condition, FakeAPIServer } from '../../src/operator/api/v1alpha1.js';
import { KubeApiError } from '../../src/operator/kube/client.js';
import { connectionRefused, eventually, kubeconfigFromCaSecret, startOperatorFixture, type OperatorFixture } from '../support/operator-fixture.js';

const run = promisify(execFile);

/**
 * spec.simulation through the operator (embedded management API): the CRD
 * schema refuses what it cannot mean, and a change is applied live to the
 * served cluster (same port, nothing restarted), as kubectl against the fake
 * cluster sees it.
 */

const FAS = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default' };
/** A range of its own. */
const RANGE = { min: 31200, max: 31209 };

const condition = (o: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);

describe('operator: FakeAPIServer spec.simulation', function () {
  this.timeout(60_000);
  let f: OperatorFixture;
  before(async () => (f = await startOperatorFixture({ config: { portRange: RANGE } })));
  after(async () => f?.close());

  const get = (name: string): Promise<FakeAPIServer> => f.client.get<FakeAPIServer>({ ...FAS, name });
  const create = (name: string, spec: Record<string, unknown> = {}): Promise<unknown> => f.client.create(FAS, { apiVersion: FAS.apiVersion, kind: 'FakeAPIServer', metadata: { name, namespace: 'default' }, spec });
  const patchSimulation = (name: string, simulation: unknown): Promise<unknown> => f.client.patch({ ...FAS, name }, 'merge', { spec: { simulation } });
  const kubectl = (path: string, args: string[]) => run('kubectl', ['--kubeconfig', path, '--request-timeout=5s', ...args], { env: { ...process.env, HOME: f.dir } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

  it('refuses bad durations, codes outside 400-599 and ratios outside 0-1 with a 422 naming each field', async () => {
    const err = await create('bad-sim', { simulation: { latency: 'fast', jitter: '5', faults: [{ code: 302, ratio: 1.5, verbs: ['get', 'fly'] }], etcd: { alarms: ['FULL'] } } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(KubeApiError);
    const status = (err as KubeApiError).body as { code: number; details?: { causes?: { field: string }[] } };
    expect(status.code).to.equal(422);
    expect(status.details?.causes?.map((c) => c.field).sort()).to.deep.equal([
      'spec.simulation.etcd.alarms[0]',
      'spec.simulation.faults[0].code',
      'spec.simulation.faults[0].ratio',
      'spec.simulation.faults[0].verbs[1]',
      'spec.simulation.jitter',
      'spec.simulation.latency',
    ]);
    const okay = { latency: '1m30s', jitter: '1.5s', faults: [{ code: 599, ratio: 0, latency: '0ms', verbs: ['deletecollection'], resources: ['nodes/status'], userAgent: 'kube-*' }], etcd: { latency: '5ms', unhealthyMembers: ['cp-0'], alarms: ['NOSPACE', 'CORRUPT'] } };
    await create('good-sim', { simulation: okay });
    expect((await get('good-sim')).spec.simulation).to.deep.equal(okay);
  });

  it('applies a change live: faults, then available: false refuses connections and true serves on the same port again', async () => {
    await create('sim');
    const served = await eventually(async () => {
      const o = await get('sim');
      return condition(o, 'Ready')?.status === 'True' ? o : undefined;
    }, 'sim Ready');
    const port = served.status!.endpoint!.port;
    const path = await kubeconfigFromCaSecret(f, 'default', 'sim', served.status!.endpoint!);
    expect((await kubectl(path, ['get', 'ns', 'default', '-o', 'name'])).stdout).to.equal('namespace/default\n');

    await patchSimulation('sim', { faults: [{ verbs: ['list'], resources: ['namespaces'], userAgent: 'kubectl*', code: 500 }] });
    await eventually(async () => (await kubectl(path, ['get', 'ns'])).stderr.includes('Error from server (InternalError)'), 'list refused with 500');
    expect((await kubectl(path, ['get', 'ns', 'default', '-o', 'name'])).code).to.equal(0); // a get still works
    const simulating = await eventually(async () => condition(await get('sim'), 'Simulating'), 'Simulating condition');
    expect(simulating).to.include({ status: 'True', reason: 'Simulating', message: '1 fault rule(s)' });

    await patchSimulation('sim', { available: false });
    await eventually(async () => connectionRefused('127.0.0.1', port), 'port refuses connections');
    expect(condition(await eventually(async () => {
      const o = await get('sim');
      return condition(o, 'Simulating')?.reason === 'Unavailable' ? o : undefined;
    }, 'Simulating Unavailable'), 'Ready')?.status).to.equal('True');

    await patchSimulation('sim', null);
    await eventually(async () => (await kubectl(path, ['get', 'ns', '-o', 'name'])).code === 0, 'served again');
    const after = await eventually(async () => {
      const o = await get('sim');
      return condition(o, 'Simulating')?.status === 'False' ? o : undefined;
    }, 'Simulating False');
    expect(after.status!.endpoint!.port).to.equal(port);
  });
});
