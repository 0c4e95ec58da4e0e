import type { ManagedFieldsEntry } from '../../../simulator/store/managed-fields.js';
import { storageKey } from '../../../simulator/kinds/registry.js';
import type { KubeObject } from '../../../simulator/store/object.js';
import { asCreatedBy } from '../../../simulator/store/seeded-writes.js';
import { frozenTemplate, templateHash } from '../workload-pods.js';
import { BUILT_FROM_STORED, sharedFieldSet, writeStatus } from './controller-writes.js';
import { STAND_IN_OWNER_UID, withKeys } from './stand-ins.js';
import { CONTROLLER_MANAGER, controllerRef, isControlledBy, KUBE_SYSTEM, templateLabels, templateOf, type Obj, type Settling } from './settling.js';

/**
 * What the Deployment controller makes of a Deployment whose rollout is
 * over: one ReplicaSet of its current template at its replicas, older ones
 * scaled to zero, the revision annotations, and the Deployment's status.
 */

const DEPLOYMENT_REVISION = 'deployment.kubernetes.io/revision';
const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** kube's default for a rolling update's maxSurge and maxUnavailable. */
const DEFAULT_ROLLING_PERCENT = '25%';

/** The Deployment's ReplicaSet for its current template, created (with the revision annotations) when missing. */
export function ensureReplicaSet(s: Settling, deploy: KubeObject): { object: KubeObject; createdAt: string } {
  const { cluster, kinds, now } = s;
  const template = frozenTemplate(templateOf(deploy));
  const hash = templateHash(template);
  const owned = cluster.resources.store
    .list(storageKey(kinds.replicaSet), KUBE_SYSTEM)
    .map((e) => e.object)
    .filter((rs) => isControlledBy(rs, deploy));
  const existing = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
  // The rollout to the current template is over: older ReplicaSets are scaled to zero, their Pods gone.
  for (const old of owned) if (old !== existing) scaleToZero(s, old);
  if (existing) return { object: scaledToDeployment(s, existing, deploy), createdAt: existing.metadata.creationTimestamp ?? now };
  const revision = String(1 + Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[DEPLOYMENT_REVISION] ?? 0))));
  const spec = deploy.spec as Obj;
  const replicas = Number(spec.replicas ?? 1);
  const selector = (spec.selector ?? {}) as { matchLabels?: Record<string, string> };
  const labels = { ...(templateLabels(template) ?? {}), 'pod-template-hash': hash };
  const rs: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deploy.metadata.name}-${hash}`,
      namespace: KUBE_SYSTEM,
      labels,
      annotations: { [DESIRED_REPLICAS]: String(replicas), [MAX_REPLICAS]: String(replicas + maxSurge(spec, replicas)), [DEPLOYMENT_REVISION]: revision },
      ownerReferences: [controllerRef(deploy)],
    },
    spec: { replicas, selector: { ...selector, matchLabels: { ...selector.matchLabels, 'pod-template-hash': hash } }, template: { ...template, metadata: { ...(template.metadata as Obj), labels } } },
  };
  const owner = deploy.metadata.uid!;
  const fields = sharedFieldSet(`ReplicaSet/${rs.metadata.name}/${revision}`, () => {
    const probe: KubeObject = { ...rs, metadata: { ...rs.metadata, ownerReferences: [{ ...controllerRef(deploy), uid: STAND_IN_OWNER_UID }] } };
    asCreatedBy(kinds.replicaSet, probe, { manager: CONTROLLER_MANAGER }, now, { share: true });
    return (probe.metadata.managedFields as ManagedFieldsEntry[])[0]!.fieldsV1 as Obj;
  });
  rs.metadata.managedFields = [{ manager: CONTROLLER_MANAGER, operation: 'Update', apiVersion: 'apps/v1', time: now, fieldsType: 'FieldsV1', fieldsV1: withKeys(fields, new Map([[STAND_IN_OWNER_UID, owner]])) }];
  const created = cluster.resources.create(kinds.replicaSet, KUBE_SYSTEM, rs, BUILT_FROM_STORED);
  // The Deployment controller records the revision on the Deployment too.
  const current = cluster.resources.get(kinds.deployment, KUBE_SYSTEM, deploy.metadata.name!);
  if (current.metadata.annotations?.[DEPLOYMENT_REVISION] !== revision) {
    const annotated = { ...current, metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [DEPLOYMENT_REVISION]: revision } } };
    cluster.resources.commit(kinds.deployment, current, annotated);
  }
  return { object: created, createdAt: now };
}

/** The current ReplicaSet follows the Deployment's replicas (`kubectl scale deploy`), as the Deployment controller scales it. */
function scaledToDeployment(s: Settling, rs: KubeObject, deploy: KubeObject): KubeObject {
  const spec = deploy.spec as Obj;
  const replicas = Number(spec.replicas ?? 1);
  if ((rs.spec as Obj | undefined)?.replicas === replicas) return rs;
  const annotations = { ...rs.metadata.annotations, [DESIRED_REPLICAS]: String(replicas), [MAX_REPLICAS]: String(replicas + maxSurge(spec, replicas)) };
  return s.cluster.resources.commit(s.kinds.replicaSet, rs, { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...(rs.spec as Obj), replicas } });
}

/** An old ReplicaSet after a finished rollout: no replicas, no Pods. */
function scaleToZero(s: Settling, rs: KubeObject): void {
  const { cluster, kinds, now } = s;
  for (const { object } of cluster.resources.store.list(storageKey(kinds.pod), KUBE_SYSTEM)) {
    if (isControlledBy(object, rs)) cluster.deleteObject('v1', 'Pod', KUBE_SYSTEM, object.metadata.name!);
  }
  let current = cluster.resources.get(kinds.replicaSet, KUBE_SYSTEM, rs.metadata.name!);
  if ((current.spec as Obj | undefined)?.replicas !== 0) {
    current = cluster.resources.commit(kinds.replicaSet, current, { ...current, spec: { ...(current.spec as Obj), replicas: 0 } });
  }
  writeStatus(cluster, kinds.replicaSet, current, { replicas: 0, observedGeneration: current.metadata.generation ?? 1 }, now);
}

/** A rolling update's maxSurge in pods (25% by default, rounded up). */
function maxSurge(spec: Obj, replicas: number): number {
  const rolling = ((spec.strategy as Obj | undefined)?.rollingUpdate ?? {}) as { maxSurge?: number | string };
  return inPods(rolling.maxSurge ?? DEFAULT_ROLLING_PERCENT, replicas, Math.ceil);
}

/** A rolling update's maxUnavailable in pods (25% by default, rounded down). */
function maxUnavailable(deploy: KubeObject, replicas: number): number {
  const rolling = (((deploy.spec as Obj | undefined)?.strategy as Obj | undefined)?.rollingUpdate ?? {}) as { maxUnavailable?: number | string };
  return inPods(rolling.maxUnavailable ?? DEFAULT_ROLLING_PERCENT, replicas, Math.floor);
}

function inPods(value: number | string, replicas: number, round: (n: number) => number): number {
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  return percent ? round((replicas * Number(percent[1])) / 100) : Number(value) || 0;
}

/** The Deployment's status as its controller writes it once `replicas` Pods exist and `ready` of them run. */
export function deploymentStatus(deploy: KubeObject, rsName: string, replicas: number, ready: number, rsCreatedAt: string, now: string): Obj {
  const wanted = Number((deploy.spec as Obj | undefined)?.replicas ?? 1);
  const previous = ((deploy.status as Obj | undefined)?.conditions ?? []) as Obj[];
  const condition = (type: string, status: string, reason: string, message: string, since: string): Obj => {
    const old = previous.find((c) => c.type === type);
    const unchanged = old?.status === status && old.reason === reason;
    return { type, status, lastUpdateTime: unchanged ? old.lastUpdateTime : now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : since, reason, message };
  };
  const available = ready >= Math.max(0, wanted - maxUnavailable(deploy, wanted));
  return {
    observedGeneration: deploy.metadata.generation ?? 1,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: ready,
    availableReplicas: ready,
    ...(replicas > ready ? { unavailableReplicas: replicas - ready } : {}),
    conditions: [
      available
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now)
        : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now),
      ready >= wanted
        ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, rsCreatedAt)
        : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, rsCreatedAt),
    ],
  };
}
