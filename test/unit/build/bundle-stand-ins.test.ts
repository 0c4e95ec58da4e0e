import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * hack/bundle/ holds what dist/fkas.js gives @dot-i/k8s-operator in place of its own
 * @kubernetes/client-node 0.20 and of gaxios (hack/build.mjs). These specs keep the stand-ins
 * true to the library they serve, and keep start-up from paying for what fkas never calls.
 */

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);
const STAND_IN = `${repo}hack/bundle/dot-i-client-node.cjs`;
const GAXIOS_STAND_IN = `${repo}hack/bundle/dot-i-gaxios.cjs`;
const DOT_I_CLIENT = `${repo}node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/`;

describe('the bundle stand-ins for @dot-i/k8s-operator (hack/bundle/)', () => {
  it('the library reads nothing from the CoreV1Api it constructs but basePath, which the stand-in keeps', () => {
    const library = readFileSync(`${repo}node_modules/@dot-i/k8s-operator/dist/operator.js`, 'utf8');
    const uses = library.match(/this\.k8sApi\b[^;\n]*/g) ?? [];
    expect(uses.length).to.be.greaterThan(0);
    for (const use of uses) expect(use).to.match(/^this\.k8sApi = this\.kubeConfig\.makeApiClient\(k8s\.CoreV1Api\)$|^this\.k8sApi\.basePath\b/);

    const { KubeConfig, CoreV1Api } = require(STAND_IN) as { KubeConfig: new () => DotIKubeConfig; CoreV1Api: unknown };
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://10.0.0.1:6443' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    expect(kc.makeApiClient(CoreV1Api).basePath).to.equal('https://10.0.0.1:6443');
  });

  it('give the library the real Watch, loadYaml, ApiextensionsV1Api and gaxios when it asks for them', () => {
    const standIn = require(STAND_IN) as Record<string, unknown>;
    expect(standIn.Watch).to.equal((require(`${DOT_I_CLIENT}watch.js`) as { Watch: unknown }).Watch);
    expect(standIn.loadYaml).to.equal((require(`${DOT_I_CLIENT}yaml.js`) as { loadYaml: unknown }).loadYaml);
    expect(standIn.ApiextensionsV1Api).to.equal((require(`${DOT_I_CLIENT}gen/api/apiextensionsV1Api.js`) as { ApiextensionsV1Api: unknown }).ApiextensionsV1Api);
    expect((require(GAXIOS_STAND_IN) as { instance: unknown }).instance).to.equal((require('gaxios') as { instance: unknown }).instance);
  });
});

interface DotIKubeConfig {
  loadFromOptions(options: object): void;
  makeApiClient(type: unknown): { basePath: string };
}
