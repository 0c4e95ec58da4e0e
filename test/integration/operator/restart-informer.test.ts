import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FakeAPIServer } from '../../../src/operator/api/v1alpha1.js';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { KEEP_DIRS, freePort, startControlPlane, waitUntil, type ControlPlane } from '../../harness/control-plane.js';
import { ManagedProcess } from '../../harness/processes.js';
import { startOperatorProcess } from '../../support/operator-process.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { eventually, kubeconfigFromCaSecret } from '../../support/operator-fixture.js';

const run = promisify(execFile);
const READY_MS = 60_000;
/** A cold build of client-go on 2 cores takes minutes; a warm one is a no-op. */
const INFORMER_BUILD_TIMEOUT_MS = 15 * 60_000;
const INFORMER = join(REPO_ROOT, 'bin/informer');
const PORT_RANGE = '31200-31299';

interface CacheLine {
  readonly names: string[];
  readonly objects: Record<string, { uid: string; resourceVersion: string }>;
  readonly synced: boolean;
}

/**
 * client-go's reflector kept across an operator restart: the fake cluster
 * comes back with new contents (the memory store starts empty), and an
 * informer that watched it before must relist and hold exactly the new
 * truth — no object from before the restart. Before resourceVersions moved
 * forward across restarts, the resumed watch was accepted and the informer
 * kept the old objects forever.
 */
describe('a client-go informer across an operator kill -9 and restart', function () {
  this.timeout(20 * 60_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let dir: string;

  before(async () => {
    execFileSync('bash', [join(REPO_ROOT, 'hack/informer/build.sh')], { stdio: 'inherit', timeout: INFORMER_BUILD_TIMEOUT_MS });
    cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
    client = KubeClient.fromFile(cp.kubeconfigPath);
    dir = await mkdtemp(join(tmpdir(), 'fkas-restart-informer-'));
  });
  after(async () => {
    client?.close();
    await cp?.stop();
    if (!KEEP_DIRS) await rm(dir, { recursive: true, force: true });
  });

  it('relists after the restart and converges to the new contents; a re-watch from its old version gets 410 Expired', async () => {
    const probePort = await freePort();
    const start = (): ManagedProcess =>
      startOperatorProcess({ kubeconfigPath: cp.kubeconfigPath, portRange: PORT_RANGE, probePort, logFile: join(dir, 'operator.log') });
    const ready = (p: ManagedProcess): Promise<void> =>
      waitUntil('fkas operator', p, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.status === 200, READY_MS);
    let op = start();
    let informer: ManagedProcess | undefined;
    try {
      await ready(op);
      await client.create(
        { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default' },
        { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'informed', namespace: 'default' }, spec: {} },
      );
      const fas = await eventually(async () => {
        const o = await client.get<FakeAPIServer>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default', name: 'informed' });
        return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && o.status.endpoint ? o : undefined;
      }, 'FakeAPIServer Ready', READY_MS);
      const kubeconfig = await kubeconfigFromCaSecret({ client, dir }, 'default', 'informed', fas.status!.endpoint!);
      const kubectl = (args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: dir } });
      const names = async (): Promise<string[]> =>
        (await kubectl(['get', 'configmaps', '-n', 'default', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ').filter(Boolean).sort();
      await kubectl(['create', 'configmap', 'before-a']);
      await kubectl(['create', 'configmap', 'before-b']);

      const cacheLog = join(dir, 'informer.log');
      informer = new ManagedProcess('informer', INFORMER, ['--kubeconfig', kubeconfig, '--namespace', 'default', '-v=4'], cacheLog);
      informer.start();
      const lastCache = async (): Promise<CacheLine | undefined> => {
        const lines = (await readFile(cacheLog, 'utf8').catch(() => '')).split('\n').filter((l) => l.startsWith('{"names"'));
        return lines.length ? (JSON.parse(lines.at(-1)!) as CacheLine) : undefined;
      };
      const holds = (names: string[]) => async () => {
        const c = await lastCache();
        return c?.synced && JSON.stringify(c.names) === JSON.stringify(names) ? c : undefined;
      };
      await eventually(holds(await names()), 'informer synced with the first contents', READY_MS, 200);
      const oldRv = Number((await lastCache())!.objects['before-b']!.resourceVersion);

      op.killGroup('SIGKILL');
      await eventually(async () => !op.running, 'operator dead');
      op = start();
      await ready(op);
      await eventually(async () => (await kubectl(['get', 'ns', 'default', '-o', 'name']).catch(() => undefined)) !== undefined, 'fake cluster serving again', READY_MS, 200);
      await kubectl(['create', 'configmap', 'after-c']);
      const truth = await names();
      expect(truth, 'the memory store came back without the old objects').to.not.include('before-a');

      const converged = await eventually(holds(truth), `informer holding exactly ${truth.join(', ')}`, READY_MS, 200);
      expect(Number(converged.objects['after-c']!.resourceVersion), 'versions after the restart are above those before it').to.be.greaterThan(oldRv);
      const log = await readFile(cacheLog, 'utf8');
      expect(log.match(/"Caches populated"/g)?.length, 'the reflector listed again after the restart').to.be.at.least(2);
      // The reflector relisted because its connection broke; one that re-watches from its old version is told 410.
      const resumed = (await kubectl(['get', '--raw', `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${oldRv}&timeoutSeconds=1`])).stdout;
      expect(JSON.parse(resumed.split('\n')[0]!)).to.deep.include({ type: 'ERROR' });
      expect(JSON.parse(resumed.split('\n')[0]!).object).to.include({ code: 410, reason: 'Expired' });
    } finally {
      await informer?.stop();
      await op.stop();
    }
  });
});
