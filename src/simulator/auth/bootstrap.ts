import { readFileSync } from 'node:fs';
import { assetPath } from '../../assets.js';
import { createHash } from 'node:crypto';
import { storageKey } from '../kinds/registry.js';
import type { KubeObject } from '../store/object.js';
import { sharedObjects, type SharedObjects } from '../store/object-store.js';
import { KindRegistry } from '../kinds/registry.js';
import { managedFieldsAfterUpdate } from '../store/managed-fields.js';
import { asCreatedBy } from '../store/seeded-writes.js';
import { aggregateClusterRoles } from './aggregation.js';

/**
 * The RBAC objects a fake cluster has from creation, as a kubeadm cluster
 * has them: what kube-apiserver v1.34 bootstraps (recorded by
 * hack/rbac-defaults.ts into bootstrap-rbac.json), admin/edit/view
 * aggregated as kube-controller-manager does it, plus kubeadm's binding for
 * its admin group. Every cluster is lent the same frozen objects (built once
 * per process), so they cost a cluster nothing until it writes RBAC.
 */

const RECORDED = assetPath('src/simulator/auth/bootstrap-rbac.json');
export const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;

interface Recorded {
  readonly recordedFrom: string;
  readonly clusterroles: KubeObject[];
  readonly clusterrolebindings: KubeObject[];
  readonly roles: KubeObject[];
  readonly rolebindings: KubeObject[];
}

/** kubeadm (v1.29+) writes admin.conf for group kubeadm:cluster-admins and binds that group to cluster-admin. */
const KUBEADM_CLUSTER_ADMINS: KubeObject = {
  apiVersion: RBAC_API_VERSION,
  kind: 'ClusterRoleBinding',
  metadata: { name: 'kubeadm:cluster-admins' },
  roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'cluster-admin' },
  subjects: [{ apiGroup: RBAC_GROUP, kind: 'Group', name: 'kubeadm:cluster-admins' }],
};

export type RbacPlural = 'clusterroles' | 'clusterrolebindings' | 'roles' | 'rolebindings';
export const RBAC_PLURALS: readonly RbacPlural[] = ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'];

let built: SharedObjects | undefined;

/** The bootstrap RBAC objects by storage key, ready to lend to a cluster's store; built on first use. */
export function bootstrapRbac(): SharedObjects {
  return (built ??= build());
}

function build(): SharedObjects {
  const recorded = JSON.parse(readFileSync(RECORDED, 'utf8')) as Recorded;
  const lists: Record<RbacPlural, KubeObject[]> = {
    clusterroles: aggregateClusterRoles(recorded.clusterroles),
    clusterrolebindings: [...recorded.clusterrolebindings, KUBEADM_CLUSTER_ADMINS],
    roles: recorded.roles,
    rolebindings: recorded.rolebindings,
  };
  // Consecutive resourceVersions, as if written at cluster bootstrap. Uid and creation time are the
  // same in every process: a durable store restores clusters whose clients cached these objects.
  let rv = 0;
  const out = new Map<string, KubeObject[]>();
  const recordedByName = new Map(recorded.clusterroles.map((r) => [r.metadata.name, r]));
  for (const plural of RBAC_PLURALS) {
    const objects = lists[plural].map((o) => {
      // apiVersion and kind first, as every stored object has them.
      const object: KubeObject = { apiVersion: o.apiVersion, kind: o.kind, ...o, metadata: { ...o.metadata, uid: stableUid(plural, o.metadata), resourceVersion: String(++rv), creationTimestamp: BOOTSTRAP_CREATION_TIME } };
      recordWriters(plural, object, plural === 'clusterroles' ? recordedByName.get(o.metadata.name) : undefined);
      return deepFreeze(object);
    });
    out.set(storageKey({ group: RBAC_GROUP, plural }), objects);
  }
  return sharedObjects(out);
}

const KINDS = new KindRegistry();

/**
 * managedFields as a kubeadm cluster shows them: kube-apiserver wrote its
 * bootstrap policy, kubeadm its own binding, and the rules of an aggregated
 * ClusterRole (admin, edit, view, …) are the aggregation controller's, in
 * kube-controller-manager.
 */
function recordWriters(plural: RbacPlural, object: KubeObject, asBootstrapped: KubeObject | undefined): void {
  const kind = KINDS.byResource(RBAC_GROUP, 'v1', plural)!;
  const manager = plural === 'clusterrolebindings' && object.metadata.name === KUBEADM_CLUSTER_ADMINS.metadata.name ? 'kubeadm' : 'kube-apiserver';
  const aggregated = asBootstrapped !== undefined && asBootstrapped.aggregationRule !== undefined && asBootstrapped.rules !== object.rules;
  if (!aggregated) {
    asCreatedBy(kind, object, { manager }, BOOTSTRAP_CREATION_TIME, { share: true });
    return;
  }
  const bootstrapped: KubeObject = { ...object, metadata: { ...object.metadata }, rules: asBootstrapped.rules };
  asCreatedBy(kind, bootstrapped, { manager }, BOOTSTRAP_CREATION_TIME, { share: true });
  const entries = managedFieldsAfterUpdate(bootstrapped, { ...object, metadata: { ...object.metadata, managedFields: bootstrapped.metadata.managedFields } }, { manager: 'kube-controller-manager' }, RBAC_API_VERSION, kind.kind, false, BOOTSTRAP_CREATION_TIME);
  if (entries) object.metadata.managedFields = entries;
}

/** When the shared default RBAC objects say they were created (a fixed time: see bootstrapRbac). */
const BOOTSTRAP_CREATION_TIME = '2026-01-01T00:00:00Z';

/** A uid derived from the object's kind and name, in the UUID layout kube uses. */
function stableUid(plural: string, meta: KubeObject['metadata']): string {
  const hex = createHash('sha256').update(`${plural}/${meta.namespace ?? ''}/${meta.name ?? ''}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`.toLowerCase();
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
