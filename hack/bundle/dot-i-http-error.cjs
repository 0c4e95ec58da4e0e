// Stands in for client-node 0.20's gen/api/apis.js in the bundle (see hack/build.mjs): the two API
// classes @dot-i/k8s-operator constructs only need the error type their failed calls reject with,
// not the list of every API class that module loads.
class HttpError extends Error {
  constructor(response, body, statusCode) {
    super(`HTTP request failed with status ${statusCode}`);
    this.name = 'HttpError';
    this.response = response;
    this.body = body;
    this.statusCode = statusCode;
  }
}

module.exports = { HttpError };
