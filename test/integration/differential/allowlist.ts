/**
 * Differences between kube-apiserver and a fake cluster that are known and
 * explained. Each entry names the scenario (exact name or a prefix ending in
 * `*`), the path inside the normalised answer (a prefix: `body.metadata`
 * covers everything under it; a `*` segment is any key or index), and why
 * the difference is kept.
 *
 * Reasons start with one of:
 * - `INTENDED:` the fake cluster differs on purpose (say what a client sees);
 * - `GAP:` not done yet; the reference to the work that closes it.
 * A GAP entry is a promise, not an excuse: remove it with the fix.
 */

export interface AllowedDifference {
  readonly scenario: string;
  readonly path: string;
  readonly reason: string;
}

export const ALLOWLIST: readonly AllowedDifference[] = [
  {
    scenario: 'table: *',
    path: 'body.columnDefinitions.*.description',
    reason: "INTENDED: column descriptions are the fake cluster's own short words; kube-apiserver quotes its API field documentation, which we do not copy (names, types, priorities and cells match)",
  },
  {
    scenario: 'kubectl: explain node.spec',
    path: 'stdout',
    reason: "INTENDED: the fake cluster's OpenAPI has no descriptions (kube's are its API documentation, which we do not copy), so kubectl explain prints <no description>; the fields and types scenarios compare everything else",
  },
  { scenario: 'kubectl: explain deployment.spec.strategy', path: 'stdout', reason: 'INTENDED: as kubectl explain node.spec: no descriptions' },
  {
    scenario: 'table: daemonsets',
    path: 'body.rows.*.object.metadata.annotations',
    reason:
      'INTENDED: kube-apiserver builds Table rows from its internal DaemonSet, which keeps the template generation in a field; the fake cluster stores apps/v1 objects, where it is the deprecated.daemonset.template.generation annotation (GET shows it on both)',
  },
  {
    scenario: 'watch: from resourceVersion 1 (older than anything kept)',
    path: 'body',
    reason:
      "INTENDED: a fresh etcd has compacted nothing, so kube-apiserver replays every event since revision 1; a fake cluster's versions start at a wall-clock epoch and it keeps the last 1,000 events, so it answers 410 Expired (kube does too once etcd compacts, every 5 minutes) and clients relist",
  },
  {
    scenario: 'discovery: authentication.k8s.io/v1',
    path: 'body.resources.length',
    reason: 'GAP: TokenReview is not served (only static tokens exist; nothing in CAPI reviews tokens against a workload cluster)',
  },
  {
    scenario: 'review: jane may GET /healthz?',
    path: 'body.status.reason',
    reason:
      'INTENDED: when several bindings allow a request, kube-apiserver names whichever its informer cache yields first (Go map order, not stable between runs); the fake cluster names the first by binding name',
  },
];

export function allowedFor(scenario: string, path: string): AllowedDifference | undefined {
  return ALLOWLIST.find((a) => scenarioMatches(a.scenario, scenario) && pathMatches(a.path, path));
}

function scenarioMatches(pattern: string, scenario: string): boolean {
  return pattern.endsWith('*') ? scenario.startsWith(pattern.slice(0, -1)) : scenario === pattern;
}

/** `a.*.b` covers `a.0.b` and everything under it. */
function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split('.');
  const got = path.split('.');
  return got.length >= want.length && want.every((w, i) => w === '*' || w === got[i]);
}
