// Stands in for modules the bundle loads only for their side effects and fkas never needs (see
// hack/build.mjs): client-node 0.20's config.js requires its whole API index without using it.
module.exports = {};
