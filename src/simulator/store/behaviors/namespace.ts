import { cloneObject, kubeTime, type KubeObject } from '../object.js';
import type { KindBehavior, Resources } from '../resources.js';
import { storageKey } from '../../kinds/registry.js';

const NAMESPACES = storageKey({ group: '', plural: 'namespaces' });
/** The finalizer kube-apiserver puts in every namespace's spec. */
const KUBERNETES_FINALIZER = 'kubernetes';

/**
 * Namespaces are Active on create, and on delete turn Terminating, take
 * their contents with them, and disappear once empty. A fake cluster has no
 * namespace controller, so this happens inside the delete request.
 */
export function namespaceBehavior(now: () => Date): KindBehavior {
  return {
    prepareCreate(object: KubeObject): void {
      object.spec = { finalizers: [KUBERNETES_FINALIZER] };
      object.status = { phase: 'Active' };
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name! };
    },
    beforeDelete(object: KubeObject, resources: Resources): 'remove' | 'keep' {
      const name = object.metadata.name!;
      if (!object.metadata.deletionTimestamp) {
        const terminating = cloneObject(object);
        terminating.metadata.deletionTimestamp = kubeTime(now());
        terminating.metadata.deletionGracePeriodSeconds = 0;
        terminating.status = { phase: 'Terminating' };
        terminating.metadata.resourceVersion = String(resources.store.nextResourceVersion());
        resources.store.put(NAMESPACES, terminating, object);
      }
      resources.deleteNamespaceContents(name);
      // The last object to leave removes the namespace (Resources.removeNow);
      // if it is still here, something with finalizers is holding it.
      return 'keep';
    },
  };
}
