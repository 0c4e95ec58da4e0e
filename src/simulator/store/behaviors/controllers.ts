import type { KindInfo } from '../../kinds/kind.js';
import { storageKey } from '../../kinds/registry.js';
import { kubeTime, type KubeObject } from '../object.js';
import type { KindBehavior, Resources, WriteOptions } from '../resources.js';
import { asCreatedBy } from '../seeded-writes.js';

const PODS = storageKey({ group: '', plural: 'pods' });
/** A Node the simulator registers was registered by its kubelet, status included. */
const NODE_WRITERS = { manager: 'kubelet', statusManager: 'kubelet' } as const;

/**
 * Told when what kube-controller-manager's controllers react to changes,
 * however it changed (the operator, a client's request): a Node appears or
 * goes, a workload is created or its spec changes, a Pod is deleted.
 */
export interface ClusterObserver {
  nodeAdded?(node: KubeObject): void;
  nodeChanged?(node: KubeObject, previous: KubeObject): void;
  nodeRemoved?(node: KubeObject): void;
  workloadChanged?(workload: KubeObject): void;
  podRemoved?(pod: KubeObject): void;
}

/**
 * Workloads (DaemonSets, Deployments): a new one, or a new generation of
 * one (its spec changed), is reported; status writes are not.
 */
export function workloadBehavior(observer: () => ClusterObserver | undefined): KindBehavior {
  return {
    afterWrite(workload: KubeObject, previous: KubeObject | undefined): void {
      if (previous && previous.metadata.generation === workload.metadata.generation) return;
      observer()?.workloadChanged?.(workload);
    },
  };
}

/** Pods: a deleted one is reported (its controller makes another). */
export function podBehavior(observer: () => ClusterObserver | undefined): KindBehavior {
  return {
    afterRemove(pod: KubeObject): void {
      observer()?.podRemoved?.(pod);
    },
  };
}

/**
 * Nodes: one the simulator writes itself carries the kubelet's
 * managedFields; a deleted one takes the Pods bound to it along, at once,
 * as kube-controller-manager's pod garbage collector does for pods of a
 * node that no longer exists; and whoever watches Nodes is told.
 */
export function nodeBehavior(kinds: { readonly node: KindInfo; readonly pod: KindInfo }, observer: () => ClusterObserver | undefined, now: () => Date): KindBehavior {
  return {
    prepareCreate(node: KubeObject, _resources: Resources, opts: WriteOptions): void {
      // An API write recorded its writer already; the simulator's own writes name the kubelet.
      if (opts.manager === undefined && node.metadata.managedFields === undefined) asCreatedBy(kinds.node, node, NODE_WRITERS, kubeTime(now()), { share: true });
    },
    afterWrite(node: KubeObject, previous: KubeObject | undefined): void {
      if (!previous) observer()?.nodeAdded?.(node);
      else observer()?.nodeChanged?.(node, previous);
    },
    afterRemove(node: KubeObject, resources: Resources): void {
      const name = node.metadata.name;
      for (const { object } of resources.store.list(PODS)) {
        const spec = object.spec as { nodeName?: unknown } | undefined;
        if (spec?.nodeName !== name || !resources.find(kinds.pod, object.metadata.namespace, object.metadata.name!)) continue;
        resources.delete(kinds.pod, object.metadata.namespace, object.metadata.name!);
      }
      observer()?.nodeRemoved?.(node);
    },
  };
}
