/**
 * Turns a request path into what it addresses, the way kube-apiserver's
 * RequestInfoFactory does: API prefix, group, version, namespace, resource,
 * name and subresource, plus the verb implied by method and query.
 */

export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'connect';

export interface ResourceRequest {
  readonly isResource: true;
  readonly verb: Verb;
  readonly group: string;
  readonly version: string;
  readonly namespace?: string;
  readonly resource: string;
  readonly name?: string;
  readonly subresource?: string;
}

export interface NonResourceRequest {
  readonly isResource: false;
  readonly path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

/** Subresources reached with POST/GET that are connections rather than object writes. */
const CONNECT_SUBRESOURCES = new Set(['portforward', 'exec', 'attach', 'proxy']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter((p) => p !== '');
  let i: number;
  let group: string;
  let version: string;
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1]!;
    i = 2;
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    i = 3;
  } else {
    return { isResource: false, path };
  }
  if (i >= parts.length) return { isResource: false, path };

  // Legacy `/watch/` prefix: `/api/v1/watch/namespaces/x/pods`.
  let watchPrefix = false;
  if (parts[i] === 'watch') {
    watchPrefix = true;
    i++;
  }
  let namespace: string | undefined;
  // `/namespaces/x/status` and `/namespaces/x/finalize` address the namespace object itself.
  if (parts[i] === 'namespaces' && parts.length > i + 2 && !NAMESPACE_SUBRESOURCES.has(parts[i + 2]!)) {
    namespace = decodeURIComponent(parts[i + 1]!);
    i += 2;
  }
  const rest = parts.slice(i).map(decodeURIComponent);
  let resource: string;
  let name: string | undefined;
  let subresource: string | undefined;
  if (namespace === undefined && rest[0] === 'namespaces') {
    // The namespace object itself: /api/v1/namespaces/{name}[/status|/finalize]
    resource = 'namespaces';
    name = rest[1];
    subresource = rest[2];
  } else {
    resource = rest[0] ?? '';
    name = rest[1];
    subresource = rest[2];
  }
  if (rest.length > 3 || !resource) return { isResource: false, path };

  const watchQuery = query.get('watch');
  const isWatch = watchPrefix || watchQuery === 'true' || watchQuery === '1';
  let verb: Verb;
  if (subresource && CONNECT_SUBRESOURCES.has(subresource)) {
    verb = 'connect';
  } else {
    switch (method) {
      case 'GET':
      case 'HEAD':
        verb = isWatch ? 'watch' : name ? 'get' : 'list';
        break;
      case 'POST':
        verb = 'create';
        break;
      case 'PUT':
        verb = 'update';
        break;
      case 'PATCH':
        verb = 'patch';
        break;
      case 'DELETE':
        verb = name ? 'delete' : 'deletecollection';
        break;
      default:
        verb = 'get';
    }
  }
  return {
    isResource: true,
    verb,
    group,
    version,
    ...(namespace !== undefined ? { namespace } : {}),
    resource,
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}
