import { daemonPodExtras, frozenTemplate, matchesNodeSelector, podFromTemplate, templateHash, toleratesTaints } from '../workload-pods.js';
import { createPod, writeStatus } from './controller-writes.js';
import { controllerRef, internalIP, isControlledBy, KUBE_PROXY, KUBE_SYSTEM, nodeNameOf, templateLabels, templateOf, type Obj, type Settling } from './settling.js';

/**
 * The kube-proxy DaemonSet as the DaemonSet controller and the kubelets keep
 * it: one Running Pod of the current template on every Node it may run on,
 * and status counts that say so.
 */
export function ensureKubeProxy(s: Settling): void {
  const { cluster, kinds, now } = s;
  const ds = cluster.resources.find(kinds.daemonSet, KUBE_SYSTEM, KUBE_PROXY);
  if (!ds) return;
  const template = frozenTemplate(templateOf(ds));
  const tspec = (template.spec ?? {}) as Obj;
  const eligible = s.nodes.filter((n) => matchesNodeSelector(tspec, n) && toleratesTaints(tspec.tolerations, (n.spec as Obj | undefined)?.taints));
  const eligibleNames = new Set(eligible.map((n) => n.metadata.name));
  const pods = s.kubeSystemPods.filter((p) => isControlledBy(p, ds));
  const hash = templateHash(template);
  // A Pod of an older template is replaced (the rolling update, finished); one per eligible node stays.
  const running = new Set<string>();
  for (const pod of pods) {
    const nodeName = nodeNameOf(pod);
    if (nodeName && eligibleNames.has(nodeName) && !running.has(nodeName) && pod.metadata.labels?.['controller-revision-hash'] === hash) running.add(nodeName);
    else cluster.deleteObject('v1', 'Pod', KUBE_SYSTEM, pod.metadata.name!);
  }
  const generation = ds.metadata.annotations?.['deprecated.daemonset.template.generation'] ?? '1';
  const labels = Object.freeze({ ...(templateLabels(template) ?? {}), 'controller-revision-hash': hash, 'pod-template-generation': generation });
  const owner = Object.freeze(controllerRef(ds));
  for (const node of eligible) {
    const nodeName = node.metadata.name!;
    if (running.has(nodeName)) continue;
    const hostIP = internalIP(node);
    createPod(cluster, kinds, podFromTemplate({ namePrefix: `${KUBE_PROXY}-`, namespace: KUBE_SYSTEM, template, labels, owner, specExtras: daemonPodExtras(tspec, nodeName), placement: { nodeName, hostIP }, now }), template, now);
    running.add(nodeName);
  }
  const count = running.size;
  writeStatus(
    cluster,
    kinds.daemonSet,
    ds,
    {
      currentNumberScheduled: count,
      numberMisscheduled: 0,
      desiredNumberScheduled: eligible.length,
      numberReady: count,
      observedGeneration: ds.metadata.generation ?? 1,
      updatedNumberScheduled: count,
      numberAvailable: count,
      ...(eligible.length > count ? { numberUnavailable: eligible.length - count } : {}),
    },
    now,
  );
}
