import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedManagementApi, type EmbeddedManagementApi } from '../../../src/operator/embedded.js';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { installCrds } from '../../../src/operator/kube/crds.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { CASES, type Case } from './cases.js';
import { PROBE_CASES, PROBE_CRD } from './probe-crd.js';
import { DRY_RUN_PROBE_PATH, RATCHET_CASES, RATCHET_SETUP, tightenedProbeCrd } from './ratchet-cases.js';
import { runCase, send, type Outcome } from './compare.js';
import { kubeconfigClient, type KubeRequest } from './kubeconfig-client.js';

const CRD_PATH = { apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions' };
const ESTABLISHED_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

/** Creates the probe CRD and waits until it is served (kube-apiserver establishes a CRD asynchronously). */
async function installProbeCrd(client: KubeClient): Promise<void> {
  await client.create(CRD_PATH, PROBE_CRD);
  const deadline = Date.now() + ESTABLISHED_TIMEOUT_MS;
  for (;;) {
    const crd = await client.get<{ status?: { conditions?: { type: string; status: string }[] } }>({ ...CRD_PATH, name: PROBE_CRD.metadata.name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`the probe CRD is not Established after ${ESTABLISHED_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Whether the object a case writes exists afterwards. */
async function stored(request: KubeRequest, c: Case): Promise<boolean> {
  const path = `/apis/fkas.metal3.io/v1alpha1/namespaces/default/${c.step.path}`;
  return (await request('GET', path)).status === 200;
}

/** Set to a file path to get every case with both answers as JSON (for notes and reports). */
const OUTCOMES_FILE_ENV = 'FKAS_CRD_COMPARE_OUT';

/**
 * The reference: the same good and bad FakeAPIServer/FakeNode writes go to
 * a real kube-apiserver (v1.34, built by `npm run tools`) and to the
 * embedded management API, both with our crds/ installed. Code, reason,
 * message, causes (sorted), warnings and the written spec/status must be
 * the same.
 */
describe('CRD schema enforcement of the embedded management API matches kube-apiserver', function () {
  this.timeout(20 * 60_000); // includes building kube-apiserver on a cold cache
  let cp: ControlPlane | undefined;
  let embedded: EmbeddedManagementApi | undefined;
  let dir: string;
  let real: KubeRequest;
  let ours: KubeRequest;
  const outcomes: { name: string; kube: Outcome; embedded: Outcome }[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fkas-crd-compare-'));
    cp = await startControlPlane();
    embedded = await startEmbeddedManagementApi({ port: 0, kubeconfigPath: join(dir, 'embedded.kubeconfig') });
    for (const path of [cp.kubeconfigPath, embedded.kubeconfigPath]) {
      const client = KubeClient.fromFile(path);
      await installCrds(client);
      await installProbeCrd(client);
      client.close();
    }
    real = await kubeconfigClient(cp.kubeconfigPath);
    ours = await kubeconfigClient(embedded.kubeconfigPath);
  });
  after(async () => {
    const file = process.env[OUTCOMES_FILE_ENV];
    if (file) await writeFile(file, JSON.stringify(outcomes, null, 2));
    await embedded?.close();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const c of [...CASES, ...PROBE_CASES]) {
    it(c.name, async () => {
      const kube = await runCase(real, c);
      const mine = await runCase(ours, c);
      outcomes.push({ name: c.name, kube, embedded: mine });
      if (c.kubeAnswers5xx) {
        expect(kube.code, `the reference changed: ${JSON.stringify(kube)}`).to.be.at.least(500);
        expect(mine.code, JSON.stringify(mine)).to.be.within(400, 499);
        expect(await stored(ours, c)).to.equal(await stored(real, c));
        return;
      }
      expect(mine).to.deep.equal(kube);
    });
  }

  describe('after the probe CRD lowers the maximum of replicas', () => {
    before(async () => {
      for (const [request, path] of [
        [real, cp!.kubeconfigPath],
        [ours, embedded!.kubeconfigPath],
      ] as const) {
        expect((await send(request, RATCHET_SETUP)).status).to.equal(201);
        const client = KubeClient.fromFile(path);
        const current = await client.get<{ metadata: { resourceVersion: string } }>({ ...CRD_PATH, name: PROBE_CRD.metadata.name });
        await client.replace({ ...CRD_PATH, name: PROBE_CRD.metadata.name }, tightenedProbeCrd(current.metadata.resourceVersion));
        client.close();
        await waitForTightenedSchema(request);
      }
    });

    for (const c of RATCHET_CASES) {
      it(c.name, async () => {
        const kube = await runCase(real, c);
        const mine = await runCase(ours, c);
        outcomes.push({ name: c.name, kube, embedded: mine });
        expect(mine).to.deep.equal(kube);
      });
    }
  });
});

/** kube-apiserver swaps a CRD's schema asynchronously: wait until a dry-run create with replicas 6 is refused. */
async function waitForTightenedSchema(request: KubeRequest): Promise<void> {
  const deadline = Date.now() + ESTABLISHED_TIMEOUT_MS;
  const body = { apiVersion: 'test.fkas.metal3.io/v1', kind: 'Probe', metadata: { name: 'schema-probe' }, spec: { replicas: 6 } };
  while ((await send(request, { method: 'POST', path: DRY_RUN_PROBE_PATH, body })).status !== 422) {
    if (Date.now() > deadline) throw new Error(`the tightened probe CRD is not in effect after ${ESTABLISHED_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
