import { StatusError, type StatusCause } from '../api/errors.js';
import type { Exchange } from '../http/exchange.js';
import type { ResourceRequest } from '../http/request-info.js';
import { readObjectBody } from '../http/body.js';
import type { ObjectStore } from '../store/object-store.js';
import { isPlainObject, kubeTime, type KubeObject } from '../store/object.js';
import { managedFieldsAfterUpdate, requestFieldManager } from '../store/managed-fields.js';
import { fillTypedZeros, zeroObjectOf } from '../store/typed-zeros.js';
import type { PolicyRule } from './aggregation.js';
import { MASTERS_GROUP, userOf } from './authorizer.js';
import type { Identity } from '../http/cluster-view.js';
import { rbacDecision, rulesFor, type Attributes, type User } from './rbac.js';

/**
 * The review APIs: SelfSubjectReview (`kubectl auth whoami`) and the
 * access reviews (`kubectl auth can-i`, `--list`). Each is a create that
 * stores nothing and answers the posted object with a status filled in.
 */

export const AUTHENTICATION_GROUP = 'authentication.k8s.io';
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const REVIEW_RESOURCES: ReadonlySet<string> = new Set([
  `${AUTHENTICATION_GROUP}/selfsubjectreviews`,
  `${AUTHENTICATION_GROUP}/tokenreviews`,
  `${AUTHORIZATION_GROUP}/selfsubjectaccessreviews`,
  `${AUTHORIZATION_GROUP}/subjectaccessreviews`,
  `${AUTHORIZATION_GROUP}/localsubjectaccessreviews`,
  `${AUTHORIZATION_GROUP}/selfsubjectrulesreviews`,
]);

export function isReview(info: ResourceRequest): boolean {
  return REVIEW_RESOURCES.has(`${info.group}/${info.resource}`);
}

const CREDENTIAL_ID_KEY = 'authentication.kubernetes.io/credential-id';

const KINDS: Readonly<Record<string, string>> = {
  selfsubjectreviews: 'SelfSubjectReview',
  tokenreviews: 'TokenReview',
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  subjectaccessreviews: 'SubjectAccessReview',
  localsubjectaccessreviews: 'LocalSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview',
};

/** Answers a review request; the caller has already been authorized to create it. */
export async function serveReview(
  ex: Exchange,
  store: ObjectStore,
  user: User,
  info: ResourceRequest,
  credentialId: string | undefined,
  tokens?: ReadonlyMap<string, Identity>,
  now = new Date(),
): Promise<void> {
  const kind = KINDS[info.resource]!;
  if (info.verb !== 'create' || info.name !== undefined || info.subresource !== undefined) {
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {});
  }
  const body = await readObjectBody(ex, kind);
  const spec = isPlainObject(body.spec) ? body.spec : {};
  const metadata = reviewMeta(body, info.namespace);
  const apiVersion = `${info.group}/${info.version}`;
  const answer = (status: Record<string, unknown>, echoed: Record<string, unknown> = spec): void =>
    ex.sendJson(201, { kind, apiVersion, metadata, ...(kind === 'SelfSubjectReview' ? {} : { spec: echoed }), status });
  // Token and access reviews go through kube's create handler, which records the asker's fields (rules reviews are built anew).
  if (RECORDED_REVIEWS.has(info.resource)) recordAsker(ex, apiVersion, kind, { metadata, spec }, now);
  switch (info.resource) {
    case 'selfsubjectreviews': {
      // kube stamps the review with the time it was answered.
      metadata.creationTimestamp = kubeTime(now);
      const extra = credentialId ? { extra: { [CREDENTIAL_ID_KEY]: [credentialId] } } : {};
      return answer({ userInfo: { username: user.name, groups: user.groups, ...extra } });
    }
    case 'tokenreviews':
      return answer(tokenStatus(spec, tokens));
    case 'selfsubjectaccessreviews':
      return answer(accessStatus(store, user, attributesOfSpec(spec, undefined)));
    case 'localsubjectaccessreviews': {
      const attrs = attributesOfSpec(spec, info.namespace);
      return answer(accessStatus(store, subjectOf(spec), attrs));
    }
    case 'subjectaccessreviews':
      return answer(accessStatus(store, subjectOf(spec), attributesOfSpec(spec, undefined)));
    default: {
      const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
      // kube answers a rules review with an empty spec: only the status is filled.
      return answer(rulesStatus(store, user, namespace), {});
    }
  }
}

const RECORDED_REVIEWS: ReadonlySet<string> = new Set(['tokenreviews', 'selfsubjectaccessreviews', 'subjectaccessreviews', 'localsubjectaccessreviews']);

/** The audience kube-apiserver's tokens are for (its service account issuer): static tokens are valid for it alone. */
const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
const INVALID_TOKEN = 'invalid bearer token';

/** TokenReview: whose token it is, as the fake cluster's static tokens say (kube's answer for one it does not know). */
function tokenStatus(spec: Record<string, unknown>, tokens: ReadonlyMap<string, Identity> | undefined): Record<string, unknown> {
  const token = typeof spec.token === 'string' ? spec.token : '';
  if (token === '') throw new StatusError(400, 'BadRequest', 'token is required for TokenReview in authentication');
  const identity = tokens?.get(token);
  const asked = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [API_AUDIENCE];
  if (!identity || !asked.includes(API_AUDIENCE)) return { user: {}, error: INVALID_TOKEN };
  const u = userOf(identity);
  return { authenticated: true, user: { username: u.name, groups: u.groups }, audiences: [API_AUDIENCE] };
}

function recordAsker(ex: Exchange, apiVersion: string, kind: string, review: KubeObject, now: Date): void {
  const posted = { apiVersion, kind, metadata: { ...review.metadata }, spec: structuredClone(review.spec) } as KubeObject;
  fillTypedZeros(posted, apiVersion, kind);
  const who = { manager: requestFieldManager(ex.query.get('fieldManager'), ex.header('user-agent')) };
  const managed = managedFieldsAfterUpdate(zeroObjectOf(apiVersion, kind), posted, who, apiVersion, kind, false, kubeTime(now));
  if (managed) review.metadata.managedFields = managed;
}

/** The posted metadata, with the URL's namespace for a namespaced review. */
function reviewMeta(body: KubeObject, namespace: string | undefined): Record<string, unknown> {
  const meta: Record<string, unknown> = isPlainObject(body.metadata) ? { ...body.metadata } : {};
  if (namespace !== undefined) meta.namespace = namespace;
  return meta;
}

function accessStatus(store: ObjectStore, user: User, attrs: Attributes): Record<string, unknown> {
  // system:masters is allowed by kube's privileged-group authorizer, which gives no reason.
  if (user.groups.includes(MASTERS_GROUP)) return { allowed: true };
  const reason = rbacDecision(store, user, attrs);
  return reason ? { allowed: true, reason } : { allowed: false };
}

function subjectOf(spec: Record<string, unknown>): User {
  const name = typeof spec.user === 'string' ? spec.user : '';
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
  if (!name && groups.length === 0) {
    throw invalidReview({ field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' });
  }
  return { name, groups };
}

function attributesOfSpec(spec: Record<string, unknown>, urlNamespace: string | undefined): Attributes {
  const res = spec.resourceAttributes;
  const nonRes = spec.nonResourceAttributes;
  const str = (o: Record<string, unknown>, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
  if (isPlainObject(res) === isPlainObject(nonRes)) {
    throw invalidReview({ field: 'spec.resourceAttributes', message: 'Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified' });
  }
  if (isPlainObject(nonRes)) return { resourceRequest: false, verb: str(nonRes, 'verb'), path: str(nonRes, 'path') };
  const r = res as Record<string, unknown>;
  const namespace = str(r, 'namespace') || urlNamespace || '';
  if (urlNamespace !== undefined && namespace !== urlNamespace) {
    throw invalidReview({ field: 'spec.resourceAttributes.namespace', message: `Invalid value: "${namespace}": must match metadata.namespace` });
  }
  return {
    resourceRequest: true,
    verb: str(r, 'verb'),
    apiGroup: str(r, 'group'),
    resource: str(r, 'resource'),
    ...(str(r, 'subresource') ? { subresource: str(r, 'subresource') } : {}),
    ...(namespace ? { namespace } : {}),
    ...(str(r, 'name') ? { name: str(r, 'name') } : {}),
  };
}

/**
 * kube's 422 for a bad review: its validation names no kind (the message
 * starts with `.authorization.k8s.io ""`) and the details carry only the group.
 */
function invalidReview(cause: StatusCause): StatusError {
  const causes = [{ reason: 'FieldValueInvalid', ...cause }];
  return new StatusError(422, 'Invalid', `.${AUTHORIZATION_GROUP} "" is invalid: ${cause.field}: ${cause.message}`, { causes, group: AUTHORIZATION_GROUP });
}

/** What `kubectl auth can-i --list` shows: RBAC's rules, plus everything for system:masters. */
function rulesStatus(store: ObjectStore, user: User, namespace: string): Record<string, unknown> {
  const rules: PolicyRule[] = user.groups.includes(MASTERS_GROUP)
    ? [
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        { verbs: ['*'], nonResourceURLs: ['*'] },
      ]
    : [];
  rules.push(...rulesFor(store, user, namespace || undefined));
  const resourceRules = rules
    .filter((r) => !r.nonResourceURLs?.length)
    .map((r) => ({ verbs: r.verbs ?? [], ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}), ...(r.resources ? { resources: r.resources } : {}), ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}) }));
  const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs }));
  return { resourceRules, nonResourceRules, incomplete: false };
}
