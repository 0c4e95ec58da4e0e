// What the bundle gives @dot-i/k8s-operator for `require('@kubernetes/client-node')` (its own 0.20
// copy): the five names it uses, from their own modules, instead of the package index that loads
// every generated API class (~2 MB of the bundle; fkas talks to the management API through its
// own KubeClient). hack/build.mjs points the library's import here; nothing else imports it.
//
// Only KubeConfig is needed when the library's Operator is constructed; the rest load on first
// use (getters), so their modules (`request` and its cookie jar for Watch: ~70 ms of start-up)
// are evaluated only if the library ever calls them. fkas never does: it has its own informers
// and CRD installer.
//
// CoreV1Api: the library's constructor makes one and reads nothing from it but `basePath`
// (operator.js, resourcePathBuilder; test/unit/operator/dot-i-usage.test.ts keeps that true).
// The generated class would load all of client-node 0.20's models (~35 ms) for that string.
// Literal paths: esbuild bundles a require() only when it can read the path.
class CoreV1Api {
  constructor(basePath) {
    this.basePath = basePath;
  }

  setDefaultAuthentication(authentication) {
    this.authentication = authentication;
  }
}

module.exports = {
  KubeConfig: require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/config.js').KubeConfig,
  CoreV1Api,
  get Watch() {
    return require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/watch.js').Watch;
  },
  get loadYaml() {
    return require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/yaml.js').loadYaml;
  },
  get ApiextensionsV1Api() {
    return require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/gen/api/apiextensionsV1Api.js').ApiextensionsV1Api;
  },
};
