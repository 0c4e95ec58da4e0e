import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { KEEP_DIRS, startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { killAndRestoreSpec } from '../../support/durable-store-spec.js';

/** `--store file:<dir>` with the real operator process across kill -9 (the spec: test/support/durable-store-spec.ts). */
describe('the operator with --store file: across kill -9', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let dir: string;

  before(async () => {
    cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
    client = KubeClient.fromFile(cp.kubeconfigPath);
    dir = await mkdtemp(join(tmpdir(), 'fkas-file-store-'));
  });
  after(async () => {
    client?.close();
    await cp?.stop();
    if (!KEEP_DIRS) await rm(dir, { recursive: true, force: true });
  });

  it('restores every object with its UID, contents and resourceVersion, keeps deletions, and seeds nothing over them', async () => {
    await killAndRestoreSpec({ client, kubeconfigPath: cp.kubeconfigPath, dir, portRange: '31300-31399', storeArgs: ['--store', `file:${join(dir, 'store')}`] });
  });
});
