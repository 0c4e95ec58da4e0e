import type { TLSSocket } from 'node:tls';
import type { ClusterView, Identity } from '../http/cluster-view.js';
import type { Exchange } from '../http/exchange.js';
import type { RequestInfo } from '../http/request-info.js';
import { authorizeRequest, userOf } from './authorizer.js';
import { effectiveIdentity } from './impersonation.js';
import { isReview, serveReview } from './reviews.js';

/**
 * The one place the request path calls into authentication and
 * authorization: throws the 401/403 Status when the request may not go on,
 * and returns the answer in progress when the request is one of the review
 * APIs (served here). Synchronous otherwise: every other request goes on
 * without waiting a turn.
 */
export function authorizeOrServeReview(ex: Exchange, cluster: ClusterView, authenticated: Identity | undefined, info: RequestInfo): Promise<void> | undefined {
  const store = cluster.resources.store;
  const identity = effectiveIdentity(ex, store, authenticated);
  authorizeRequest(store, identity, !identity && credentialsSent(ex), ex.method, info, ex.query);
  if (!info.isResource || !isReview(info)) return undefined;
  const impersonating = identity !== authenticated;
  return serveReview(ex, store, userOf(identity), info, identity && !impersonating ? credentialId(ex) : undefined, cluster.tokens);
}

/**
 * Whether the client sent credentials that authenticated nobody: a bearer
 * token we do not know, or a client certificate our CA did not sign. kube
 * answers those 401; a client with no credentials at all is anonymous.
 */
function credentialsSent(ex: Exchange): boolean {
  if (ex.header('authorization') !== undefined) return true;
  const socket = ex.req.socket as Partial<TLSSocket> | undefined;
  const cert = socket?.getPeerCertificate?.();
  return !!cert && Object.keys(cert).length > 0 && socket?.authorized !== true;
}

/**
 * What kube-apiserver records as `authentication.kubernetes.io/credential-id`
 * for a client certificate (SelfSubjectReview shows it); bearer tokens of a
 * static token file have none.
 */
function credentialId(ex: Exchange): string | undefined {
  if (ex.header('authorization') !== undefined) return undefined;
  const socket = ex.req.socket as Partial<TLSSocket> | undefined;
  const fingerprint = socket?.getPeerCertificate?.().fingerprint256;
  return fingerprint ? `X509SHA256=${fingerprint.replaceAll(':', '').toLowerCase()}` : undefined;
}
