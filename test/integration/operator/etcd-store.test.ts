import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { KEEP_DIRS, freePort, startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { startEtcd, type TestEtcd } from '../../harness/etcd.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { failsAtStart, killAndRestoreSpec } from '../../support/durable-store-spec.js';

/**
 * `--store etcd:` with the real operator process and a real etcd v3.6 of
 * its own (TLS with client certificates, as a production etcd): kill -9
 * and a restart with the same flags lose nothing (test/support/durable-store-spec.ts);
 * flags that cannot work stop the operator at start with what to do.
 */
describe('the operator with --store etcd: across kill -9', function () {
  this.timeout(10 * 60_000);
  const PORT_RANGE = '31400-31499';
  let cp: ControlPlane;
  let client: KubeClient;
  let etcd: TestEtcd;
  let dir: string;
  const tlsArgs = (): string[] => ['--etcd-cafile', etcd.files!.ca, '--etcd-certfile', etcd.files!.cert, '--etcd-keyfile', etcd.files!.key];

  before(async () => {
    cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
    client = KubeClient.fromFile(cp.kubeconfigPath);
    etcd = await startEtcd({ tls: true });
    dir = await mkdtemp(join(tmpdir(), 'fkas-etcd-store-'));
  });
  after(async () => {
    client?.close();
    await etcd?.stop();
    await cp?.stop();
    if (!KEEP_DIRS) await rm(dir, { recursive: true, force: true });
  });

  it('restores every object with its UID, contents and resourceVersion from etcd over TLS, keeps deletions, and seeds nothing over them', async () => {
    await killAndRestoreSpec({ client, kubeconfigPath: cp.kubeconfigPath, dir, portRange: PORT_RANGE, storeArgs: ['--store', `etcd:${etcd.endpoint}`, ...tlsArgs()] });
  });

  it('stops at start when etcd cannot be reached, saying what to check', async () => {
    const log = await failsAtStart({ kubeconfigPath: cp.kubeconfigPath, dir, portRange: PORT_RANGE, storeArgs: ['--store', `etcd:http://127.0.0.1:${await freePort()}`] }, 'unreachable.log');
    expect(log).to.match(/cannot reach etcd at http:\/\/127\.0\.0\.1:\d+ .*check that etcd runs there/);
  });

  it('stops at start when a certificate file is missing, naming the flag and the file', async () => {
    const storeArgs = ['--store', `etcd:${etcd.endpoint}`, ...tlsArgs().slice(0, 2), '--etcd-certfile', join(dir, 'missing.crt'), '--etcd-keyfile', etcd.files!.key];
    const log = await failsAtStart({ kubeconfigPath: cp.kubeconfigPath, dir, portRange: PORT_RANGE, storeArgs }, 'missing-cert.log');
    expect(log).to.include(`--etcd-certfile ${join(dir, 'missing.crt')} cannot be read (ENOENT)`);
  });

  it('stops at start when etcd does not trust the client (no client certificate)', async () => {
    const log = await failsAtStart({ kubeconfigPath: cp.kubeconfigPath, dir, portRange: PORT_RANGE, storeArgs: ['--store', `etcd:${etcd.endpoint}`, '--etcd-cafile', etcd.files!.ca] }, 'untrusted.log');
    expect(log).to.match(/cannot reach etcd at https:.*client certificate it trusts/s);
  });
});
