import { StatusError, internalError } from '../api/errors.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ClusterView, Identity } from './cluster-view.js';
import {
  aggregatedDiscovery,
  AGGREGATED_DISCOVERY_V2,
  AGGREGATED_DISCOVERY_V2BETA1,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  wantsAggregatedDiscovery,
} from './discovery.js';
import type { Exchange } from './exchange.js';
import { serveOpenApi } from './openapi.js';
import { handleResource } from './resource-handler.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { authorizeOrServeReview } from '../auth/http-hook.js';

/**
 * Entry point for every request to a fake cluster: authentication,
 * non-resource paths (health, version, discovery, OpenAPI) and resources.
 */

const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const HEALTH_CHECKS = ['ping', 'log', 'etcd', 'informer-sync', 'poststarthook/start-apiextensions-informers'];

export async function handleApiRequest(ex: Exchange, cluster: ClusterView, identity: Identity | undefined, log: Logger): Promise<void> {
  const observer = cluster.requestObserver;
  const startedAt = observer ? performance.now() : 0;
  let info: RequestInfo | undefined;
  try {
    if (!ALLOWED_METHODS.has(ex.method)) {
      throw new StatusError(405, 'MethodNotAllowed', `the server does not allow the ${ex.method} method; use GET, POST, PUT, PATCH or DELETE`);
    }
    const path = ex.url.pathname;
    info = parseRequestInfo(ex.method, path, ex.query);
    // A slow or failing API server is slow or failing for everyone: the simulation comes before authorization.
    if (cluster.simulation) await cluster.simulation.intercept(ex, info);
    const review = authorizeOrServeReview(ex, cluster, identity, info);
    if (review) return await review;
    if (info.isResource) return await handleResource(ex, cluster, info);
    return serveNonResource(ex, cluster, path);
  } catch (err) {
    if (err instanceof StatusError) {
      ex.sendError(err);
      return;
    }
    log.error({ err, method: ex.method, path: ex.url.pathname }, 'request failed');
    ex.sendError(internalError((err as Error).message ?? String(err)));
  } finally {
    observer?.requestDone(ex, info, startedAt);
  }
}

function serveNonResource(ex: Exchange, cluster: ClusterView, path: string): void {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) {
    return ex.sendJson(200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v2', '/openapi/v3', '/readyz', '/version'] });
  }
  const [first] = parts;
  if (first === 'healthz' || first === 'livez' || first === 'readyz') {
    if (parts.length > 1) {
      const check = parts.slice(1).join('/');
      if (!HEALTH_CHECKS.includes(check)) throw notFound();
      return ex.sendRaw(200, 'ok', 'text/plain; charset=utf-8');
    }
    if (ex.query.has('verbose')) {
      const lines = HEALTH_CHECKS.map((c) => `[+]${c} ok`).join('\n');
      return ex.sendRaw(200, `${lines}\n${first} check passed\n`, 'text/plain; charset=utf-8');
    }
    return ex.sendRaw(200, 'ok', 'text/plain; charset=utf-8');
  }
  if (ex.method !== 'GET' && ex.method !== 'HEAD') {
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow ${ex.method} on ${path}; it is read-only`);
  }
  if (first === 'version' && parts.length === 1) return ex.sendJson(200, cluster.versionInfo);
  if (first === 'openapi') return serveOpenApi(ex, cluster, parts.slice(1));
  const aggregated = wantsAggregatedDiscovery(ex.header('accept'));
  if (first === 'api' && parts.length === 1) {
    if (aggregated) return sendAggregated(ex, cluster, true, aggregated);
    return ex.sendJson(200, apiVersions(cluster.serverAddress));
  }
  if (first === 'apis' && parts.length === 1) {
    if (aggregated) return sendAggregated(ex, cluster, false, aggregated);
    return ex.sendJson(200, apiGroupList(cluster.registry));
  }
  if (first === 'apis' && parts.length === 2) {
    const group = apiGroup(cluster.registry, parts[1]!);
    if (group) return ex.sendJson(200, group);
  }
  if ((first === 'api' && parts.length === 2) || (first === 'apis' && parts.length === 3)) {
    const [group, version] = first === 'api' ? ['', parts[1]!] : [parts[1]!, parts[2]!];
    const list = apiResourceList(cluster.registry, group, version);
    if (list) return ex.sendJson(200, list);
  }
  throw notFound();
}

function sendAggregated(ex: Exchange, cluster: ClusterView, legacy: boolean, version: 'v2' | 'v2beta1'): void {
  const contentType = version === 'v2' ? AGGREGATED_DISCOVERY_V2 : AGGREGATED_DISCOVERY_V2BETA1;
  ex.sendJson(200, aggregatedDiscovery(cluster.registry, legacy, version), contentType);
}

function notFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}
