// What the bundle gives @dot-i/k8s-operator for `require('gaxios')`: the library reads
// `gaxios.instance` only inside methods fkas never calls (status and resource updates), so the
// package (and node-fetch under it) loads on first use instead of at every start.
module.exports = {
  get instance() {
    return require('gaxios').instance;
  },
};
