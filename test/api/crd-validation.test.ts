import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedManagementApi, type EmbeddedManagementApi } from '../../src/operator/embedded.js';
import { KubeClient } from '../../src/operator/kube/client.js';
import { installCrds } from '../../src/operator/kube/crds.js';
import { kubeconfigClient, type KubeRequest } from '../integration/crd-validation/kubeconfig-client.js';

/**
 * The embedded management API (what `npm start` serves) enforces our CRDs'
 * schemas as kube-apiserver does, seen through the real kubectl and plain
 * HTTPS: wrong types are a 422 naming each field, unknown fields are
 * dropped with kubectl's warning (Warn) or refused (Strict, kubectl's
 * default), defaults are applied, and a refused write stores nothing.
 */
describe('the embedded management API checks custom resources against their CRD schema', function () {
  this.timeout(60_000);
  let api: EmbeddedManagementApi;
  let dir: string;
  let request: KubeRequest;
  const PATH = '/apis/fkas.metal3.io/v1alpha1/namespaces/default/fakeapiservers';

  const kubectl = (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile('kubectl', ['--kubeconfig', api.kubeconfigPath, ...args], { env: { ...process.env, HOME: dir } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  const manifest = (name: string, spec: string): string =>
    `apiVersion: fkas.metal3.io/v1alpha1\nkind: FakeAPIServer\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n${spec}`;
  const stored = async (name: string): Promise<boolean> => (await request('GET', `${PATH}/${name}`)).status === 200;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fkas-crd-validation-'));
    api = await startEmbeddedManagementApi({ port: 0, kubeconfigPath: join(dir, 'management.kubeconfig') });
    const client = KubeClient.fromFile(api.kubeconfigPath);
    await installCrds(client);
    client.close();
    request = await kubeconfigClient(api.kubeconfigPath);
  });
  after(async () => {
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('kubectl apply of a FakeAPIServer with wrong types is a 422 naming spec.port and spec.kubernetesVersion, and nothing is stored', async () => {
    const r = await kubectl(['apply', '-f', '-'], manifest('bad-types', '  port: "abc"\n  kubernetesVersion: 7\n'));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('The FakeAPIServer "bad-types" is invalid');
    expect(r.stderr).to.include('spec.port: Invalid value: "string": spec.port in body must be of type integer: "string"');
    expect(r.stderr).to.include('spec.kubernetesVersion: Invalid value: "integer": spec.kubernetesVersion in body must be of type string: "integer"');
    expect(await stored('bad-types')).to.equal(false);
  });

  it('kubectl apply refuses an unknown field by default (kubectl sends fieldValidation=Strict) and stores nothing', async () => {
    const r = await kubectl(['apply', '-f', '-'], manifest('strict', '  port: 7001\n  bogusField: yes\n'));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('strict decoding error: unknown field "spec.bogusField"');
    expect(await stored('strict')).to.equal(false);
  });

  it('kubectl apply --validate=warn prunes the unknown field and prints its warning', async () => {
    const r = await kubectl(['apply', '--validate=warn', '-f', '-'], manifest('warned', '  port: 7002\n  bogusField: yes\n'));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include('Warning: unknown field "spec.bogusField"');
    const spec = JSON.parse((await kubectl(['get', 'fas', 'warned', '-o', 'jsonpath={.spec}'])).stdout) as Record<string, unknown>;
    expect(spec).to.not.have.property('bogusField');
  });

  it("kubectl apply --validate=warn of the issue's object: the warning for bogusField, then the 422 for the types", async () => {
    const r = await kubectl(['apply', '--validate=warn', '-f', '-'], manifest('issue', '  port: "abc"\n  kubernetesVersion: 7\n  bogusField: yes\n'));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('Warning: unknown field "spec.bogusField"');
    expect(r.stderr).to.include('spec.port: Invalid value');
    expect(r.stderr).to.include('spec.kubernetesVersion: Invalid value');
    expect(await stored('issue')).to.equal(false);
  });

  it('kubectl apply --server-side refuses an undeclared field with a 400 (kube-apiserver answers 500 here) and stores nothing', async () => {
    const r = await kubectl(['apply', '--server-side', '-f', '-'], manifest('ssa', '  port: 7005\n  bogusField: yes\n'));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('Error from server (BadRequest)');
    expect(r.stderr).to.include(
      'failed to create typed patch object (default/ssa; fkas.metal3.io/v1alpha1, Kind=FakeAPIServer): .spec.bogusField: field not declared in schema',
    );
    expect(await stored('ssa')).to.equal(false);
  });

  it('kubectl apply of an existing object with an unknown field is refused as kube-apiserver refuses a patch under Strict (422 on patch)', async () => {
    expect((await kubectl(['apply', '-f', '-'], manifest('reapplied', '  port: 7006\n'))).code).to.equal(0);
    const r = await kubectl(['apply', '-f', '-'], manifest('reapplied', '  port: 7006\n  bogusField: yes\n'));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('is invalid: patch: Invalid value:');
    expect(r.stderr).to.include('strict decoding error: unknown field "spec.bogusField"');
  });

  it('applies the schema defaults: kubectl get shows them on an object created without them', async () => {
    expect((await kubectl(['apply', '-f', '-'], manifest('defaulted', '  port: 7003\n'))).code).to.equal(0);
    const spec = JSON.parse((await kubectl(['get', 'fas', 'defaulted', '-o', 'jsonpath={.spec}'])).stdout) as Record<string, unknown>;
    expect(spec).to.deep.equal({ port: 7003, kubernetesVersion: 'v1.32.0', exposure: 'Direct' });
  });

  it('sends each unknown field as a Warning header (299) under fieldValidation=Warn, the default without the parameter', async () => {
    const body = { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'headers', colour: 'red' }, spec: { bogusField: 1 } };
    const r = await request('POST', PATH, body);
    expect(r.status).to.equal(201);
    expect(r.warnings).to.deep.equal(['299 - "unknown field \\"metadata.colour\\""', '299 - "unknown field \\"spec.bogusField\\""']);
    const ignored = await request('POST', `${PATH}?fieldValidation=Ignore`, { ...body, metadata: { name: 'ignored' } });
    expect(ignored.status).to.equal(201);
    expect(ignored.warnings).to.deep.equal([]);
  });

  it('answers Strict with 400 BadRequest and an unsupported fieldValidation with 422', async () => {
    const strict = await request('POST', `${PATH}?fieldValidation=Strict`, { metadata: { name: 'raw-strict' }, spec: { bogusField: 1 } });
    expect(strict.status).to.equal(400);
    expect(strict.body).to.include({
      reason: 'BadRequest',
      message: 'FakeAPIServer in version "v1alpha1" cannot be handled as a FakeAPIServer: strict decoding error: unknown field "spec.bogusField"',
    });
    const unsupported = await request('POST', `${PATH}?fieldValidation=Loud`, { metadata: { name: 'raw-loud' }, spec: {} });
    expect(unsupported.status).to.equal(422);
    expect(unsupported.body.message).to.equal(
      'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"',
    );
    expect(await stored('raw-strict')).to.equal(false);
    expect(await stored('raw-loud')).to.equal(false);
  });

  it('checks merge patches and status writes, and a refused patch changes nothing', async () => {
    expect((await kubectl(['apply', '-f', '-'], manifest('patched', '  port: 7004\n'))).code).to.equal(0);
    const before = (await request('GET', `${PATH}/patched`)).body as { metadata: { resourceVersion: string } };
    const patch = await kubectl(['patch', 'fas', 'patched', '--type=merge', '-p', '{"spec":{"exposure":"Tunnel"}}']);
    expect(patch.code).to.not.equal(0);
    expect(patch.stderr).to.include('spec.exposure: Unsupported value: "Tunnel": supported values: "Direct", "Service"');
    const condition = { type: 'Ready', status: 'Maybe', reason: 'R', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const status = await kubectl([
      'patch',
      'fas',
      'patched',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { conditions: [condition] } }),
    ]);
    expect(status.code).to.not.equal(0);
    expect(status.stderr).to.include('status.conditions[0].status: Unsupported value: "Maybe"');
    const after = (await request('GET', `${PATH}/patched`)).body as { metadata: { resourceVersion: string } };
    expect(after.metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
  });
});
