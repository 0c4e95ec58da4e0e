import { badRequest } from '../api/errors.js';
import type { KindInfo } from '../kinds/kind.js';
import { isPlainObject, type KubeObject } from '../store/object.js';
import type { ClusterView } from './cluster-view.js';
import type { Exchange } from './exchange.js';

/**
 * GET pods/<name>/log. A fake cluster runs no containers, so a scheduled
 * Pod's log is empty (200, text/plain); a Pod on no node has nowhere to
 * read from (204, as kube-apiserver answers). The container is checked
 * first, with kube-apiserver's messages.
 */

const LOG_CONTENT_TYPE = 'text/plain';

export function servePodLog(ex: Exchange, cluster: ClusterView, kind: KindInfo, namespace: string, name: string): void {
  const pod = cluster.resources.get(kind, namespace, name);
  checkContainer(pod, name, ex.query.get('container') ?? '');
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') return ex.sendNoContent();
  ex.sendRaw(200, '', LOG_CONTENT_TYPE);
}

function names(spec: Record<string, unknown>, list: string): string[] {
  return (Array.isArray(spec[list]) ? spec[list] : []).filter(isPlainObject).map((c) => String(c.name ?? ''));
}

function checkContainer(pod: KubeObject, name: string, container: string): void {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const containers = names(spec, 'containers');
  const init = names(spec, 'initContainers');
  const ephemeral = names(spec, 'ephemeralContainers');
  if (container !== '') {
    if (![...containers, ...init, ...ephemeral].includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    return;
  }
  if (containers.length === 1) return;
  if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
  // Go prints a []string as [a b].
  let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
  if (init.length) message += ` or one of the init containers: [${init.join(' ')}]`;
  if (ephemeral.length) message += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
  throw badRequest(message);
}
