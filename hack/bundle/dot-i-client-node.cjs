// What the bundle gives @dot-i/k8s-operator for `require('@kubernetes/client-node')` (its own 0.20
// copy): the five names it uses, from their own modules, instead of the package index that loads
// every generated API class (~2 MB of the bundle; fkas talks to the management API through its
// own KubeClient, and the library only constructs a CoreV1Api it never calls for us).
// hack/build.mjs points the library's import here; nothing else imports it.
// Literal paths: esbuild bundles a require() only when it can read the path.
module.exports = {
  KubeConfig: require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/config.js').KubeConfig,
  Watch: require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/watch.js').Watch,
  loadYaml: require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/yaml.js').loadYaml,
  CoreV1Api: require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/gen/api/coreV1Api.js').CoreV1Api,
  ApiextensionsV1Api: require('../../node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node/dist/gen/api/apiextensionsV1Api.js')
    .ApiextensionsV1Api,
};
