import { StatusError, badRequest, invalid } from '../api/errors.js';
import { apiVersionOf, type KindInfo } from '../kinds/kind.js';
import { storageKey } from '../kinds/registry.js';
import { applyPatch, PATCH_CONTENT_TYPES } from '../patch/index.js';
import { cloneObject, isPlainObject, type KubeObject } from '../store/object.js';
import { requestFieldManager } from '../store/managed-fields.js';
import type { DeleteOptions, PropagationPolicy } from '../store/resources.js';
import { Watch } from '../store/watch.js';
import { jsonMadeOf, type ListedEntry } from '../store/object-store.js';
import {
  CONTINUE_TOO_OLD_MESSAGE,
  LIST_TOO_OLD_MESSAGE,
  TOO_LARGE_RESOURCE_VERSION_WAIT_MS,
  parseResourceVersion,
  tooLargeResourceVersion,
} from '../store/resource-version.js';
import { readObjectBody, readOptionalBody } from './body.js';
import type { ClusterView } from './cluster-view.js';
import { mediaType, type Exchange } from './exchange.js';
import { listFilter } from './list-filter.js';
import type { ResourceRequest } from './request-info.js';
import { responseShape, shapeList, shapeObject } from './response-shape.js';
import { evictPod } from './eviction.js';
import { servePodLog } from './pod-log.js';
import { patchScale, scaleOf, updateScale } from './scale.js';
import { PROTOBUF_MEDIA_TYPE, prefersProtobuf } from './negotiation.js';
import { canEncodeProtobuf, encodeKubernetesProtobuf, encodeStatusProtobuf, encodeWatchEventProtobuf } from '../protobuf/encode.js';
import { parseFieldValidation, type SchemaWriteOptions } from '../store/crd-schema/index.js';
import { rejectWrongDeleteOptions, rejectWrongPatchResult, type PatchType } from '../store/type-errors.js';

/**
 * CRUD, list and watch for every kind, from one code path. The kind record
 * says what is served; the store applies the semantics; this file maps HTTP
 * to those calls.
 */

/** Watches without timeoutSeconds end after a random 30-60 minutes, as kube-apiserver's min-request-timeout does. */
const DEFAULT_WATCH_TIMEOUT_MS = 30 * 60_000;
const SUBRESOURCE_NOT_FOUND = 'the server could not find the requested resource';

export async function handleResource(ex: Exchange, cluster: ClusterView, info: ResourceRequest): Promise<void> {
  const kind = cluster.registry.byResource(info.group, info.version, info.resource);
  if (!kind) throw new StatusError(404, 'NotFound', SUBRESOURCE_NOT_FOUND, { group: info.group, kind: info.resource });
  if (!kind.namespaced && info.namespace !== undefined) {
    throw new StatusError(404, 'NotFound', `${kind.plural} is not a namespaced resource; drop /namespaces/${info.namespace} from the path`);
  }
  if (kind.namespaced && info.namespace === undefined && info.name !== undefined) {
    throw new StatusError(404, 'NotFound', `${kind.plural} is a namespaced resource; use /namespaces/<namespace>/${kind.plural}/${info.name}`);
  }
  if (info.subresource !== undefined && !kind.subresources.includes(info.subresource)) {
    // No route serves it: kube-apiserver's answer names nothing (verified for configmaps/…/scale).
    throw new StatusError(404, 'NotFound', SUBRESOURCE_NOT_FOUND, {});
  }
  const r = cluster.resources;
  const ns = info.namespace;
  const dryRun = ex.query.getAll('dryRun').includes('All');
  const sub = info.subresource;
  // A custom resource's scale follows its CRD's replica and selector paths, which are not served yet.
  if (sub === 'scale' && kind.custom) throw methodNotAllowed(ex, kind, sub);

  switch (info.verb) {
    case 'get': {
      if (sub === 'log' && kind.group === '' && kind.plural === 'pods') return servePodLog(ex, cluster, kind, ns!, info.name!);
      if (sub !== undefined && sub !== 'status' && sub !== 'scale') throw methodNotAllowed(ex, kind, sub);
      await awaitFreshEnough(r, ex.query.get('resourceVersion'));
      const obj = r.get(kind, ns, info.name!);
      return sub === 'scale' ? ex.sendJson(200, scaleOf(kind, obj)) : sendObject(ex, kind, obj, 200);
    }
    case 'list':
      return sendList(ex, cluster, kind, ns);
    case 'watch':
      return serveWatch(ex, cluster, kind, ns, info.name);
    case 'create': {
      if (sub === 'eviction') {
        const body = await readObjectBody(ex, 'Eviction');
        evictPod(cluster, kind, ns!, info.name!, body);
        await durable(r);
        return ex.sendStatus(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      }
      if (sub !== undefined || info.name !== undefined) throw methodNotAllowed(ex, kind, sub);
      if (kind.namespaced && ns === undefined) throw new StatusError(404, 'NotFound', `${kind.plural} must be created in a namespace: POST to /namespaces/<namespace>/${kind.plural}`);
      const fields = schemaOptions(ex, 'CreateOptions');
      const body = await readObjectBody(ex, kind.kind);
      const created = r.create(kind, ns, body, { dryRun, ...fields, manager: fieldManagerOf(ex) });
      await durable(r);
      return sendObject(ex, kind, created, 201);
    }
    case 'update': {
      if (sub !== undefined && sub !== 'status' && sub !== 'finalize' && sub !== 'scale') throw methodNotAllowed(ex, kind, sub);
      const fields = schemaOptions(ex, 'UpdateOptions');
      if (sub === 'scale') {
        const scale = updateScale(cluster, kind, r.get(kind, ns, info.name!), await readObjectBody(ex, 'Scale'), { dryRun, ...fields, manager: fieldManagerOf(ex) });
        await durable(r);
        return ex.sendJson(200, scale);
      }
      const body = await readObjectBody(ex, kind.kind);
      const updated = r.update(kind, ns, info.name!, body, { dryRun, ...fields, manager: fieldManagerOf(ex), ...(sub === 'status' ? { subresource: 'status' as const } : {}) });
      await durable(r);
      return sendObject(ex, kind, updated, 200);
    }
    case 'patch':
      return servePatch(ex, cluster, kind, info, dryRun);
    case 'delete': {
      if (sub !== undefined) throw methodNotAllowed(ex, kind, sub);
      const opts = await deleteOptions(ex, kind, dryRun);
      const result = r.delete(kind, ns, info.name!, opts);
      await durable(r);
      if (result.removed && !kind.deleteReturnsObject) return ex.sendStatus(200, deletedStatus(kind, result.object));
      return sendObject(ex, kind, result.object, 200);
    }
    case 'deletecollection': {
      const opts = await deleteOptions(ex, kind, dryRun);
      const matches = listFilter(ex.query, kind);
      const deleted: KubeObject[] = [];
      for (const { object } of r.store.list(storageKey(kind), ns)) {
        if (!matches(object)) continue;
        deleted.push(r.delete(kind, object.metadata.namespace, object.metadata.name!, opts).object);
      }
      await durable(r);
      const items = kind.custom ? deleted : deleted.map(withoutTypeMeta);
      return ex.sendJson(200, { kind: kind.listKind, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: String(r.store.resourceVersion) }, items });
    }
    case 'connect': {
      // Upgrades arrive through the server's 'upgrade' event; a plain request here cannot be served.
      throw new StatusError(400, 'BadRequest', `${kind.plural}/${sub ?? ''} needs a connection upgrade (SPDY/3.1 or WebSocket)`);
    }
  }
}

/**
 * The field manager of a write: the fieldManager parameter, else the
 * product of the User-Agent (`kubectl/v1.32.4 (linux/amd64) …` → `kubectl`).
 */
function fieldManagerOf(ex: Exchange): string {
  return requestFieldManager(ex.query.get('fieldManager'), ex.header('user-agent'));
}

function deletedStatus(kind: KindInfo, obj: KubeObject): Record<string, unknown> {
  const details = { name: obj.metadata.name, ...(kind.group ? { group: kind.group } : {}), kind: kind.plural, uid: obj.metadata.uid };
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** An item of a built-in (typed) list: kube-apiserver writes no apiVersion and kind in it. */
function withoutTypeMeta(obj: KubeObject): KubeObject {
  const { apiVersion: _v, kind: _k, ...rest } = obj;
  return rest as KubeObject;
}

/** fieldValidation (422 when not Ignore/Warn/Strict) and the exchange's warnings, for the schema of custom resources. */
function schemaOptions(ex: Exchange, optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): SchemaWriteOptions {
  return { fieldValidation: parseFieldValidation(ex.query.get('fieldValidation'), optionsKind), warnings: ex.warnings };
}

function methodNotAllowed(ex: Exchange, kind: KindInfo, sub: string | undefined): StatusError {
  const target = sub ? `${kind.plural}/${sub}` : kind.plural;
  return new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${ex.method} ${target})`);
}

function sendObject(ex: Exchange, kind: KindInfo, obj: KubeObject, code: number): void {
  const shape = responseShape(ex.header('accept'));
  if (shape.kind === 'object' && protobufAnswer(ex, kind)) {
    return ex.sendRaw(code, encodeKubernetesProtobuf(obj, apiVersionOf(kind), kind.kind), PROTOBUF_MEDIA_TYPE);
  }
  // A write's answer: its watchers' event serialized the stored object already (a Node's is 4 KB).
  if (shape.kind === 'object') return ex.sendRaw(code, jsonMadeOf(obj) ?? JSON.stringify(obj), shape.contentType);
  ex.sendJson(code, shapeObject(shape, kind, obj, ex.query), shape.contentType);
}

/**
 * A read with resourceVersion N is served once the store holds N: as
 * kube-apiserver's cache, wait a little for a newer N, then answer 504
 * ResourceVersionTooLarge (clients relist). '0', '' and absent mean "any".
 */
async function awaitFreshEnough(r: ClusterView['resources'], rvText: string | null): Promise<number> {
  const want = rvText === null ? 0 : parseResourceVersion(rvText);
  if (want > r.store.resourceVersion && !(await r.store.waitForVersion(want, TOO_LARGE_RESOURCE_VERSION_WAIT_MS))) {
    throw tooLargeResourceVersion(want, r.store.resourceVersion);
  }
  return want;
}

const PROTOBUF_WATCH_CONTENT_TYPE = `${PROTOBUF_MEDIA_TYPE};stream=watch`;
/** Bytes of the big-endian length before each protobuf watch event. */
const FRAME_LENGTH_BYTES = 4;

/** A protobuf watch event as kube-apiserver streams it: its length, then a WatchEvent holding the encoded object (or Status). */
function protobufWatchFrame(kind: KindInfo): (type: string, object: Record<string, unknown>) => Buffer {
  const apiVersion = apiVersionOf(kind);
  return (type, object) => {
    const inner = object.kind === 'Status' ? encodeStatusProtobuf(object) : encodeKubernetesProtobuf(object, apiVersion, kind.kind);
    const event = encodeWatchEventProtobuf(type, inner);
    const frame = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + event.length);
    frame.writeUInt32BE(event.length, 0);
    event.copy(frame, FRAME_LENGTH_BYTES);
    return frame;
  };
}

/** Whether to answer in protobuf: the client prefers it and the kind has a protobuf form (custom resources do not). */
function protobufAnswer(ex: Exchange, kind: KindInfo): boolean {
  return !kind.custom && prefersProtobuf(ex.header('accept')) && canEncodeProtobuf(apiVersionOf(kind), kind.kind);
}

/** Writes are acknowledged only once the storage backend holds them (immediately in memory). */
async function durable(r: ClusterView['resources']): Promise<void> {
  const pending = r.store.durable();
  if (pending) await pending;
}

async function sendList(ex: Exchange, cluster: ClusterView, kind: KindInfo, ns: string | undefined): Promise<void> {
  const r = cluster.resources;
  const q = ex.query;
  const want = await awaitFreshEnough(r, q.get('resourceVersion'));
  // Only the newest state is kept: an exact list of an older version is as gone as a compacted etcd revision.
  if (q.get('resourceVersionMatch') === 'Exact' && want > 0 && want !== r.store.resourceVersion) {
    throw new StatusError(410, 'Expired', LIST_TOO_OLD_MESSAGE);
  }
  const matches = listFilter(q, kind);
  const limit = Number(q.get('limit') ?? '0');
  if (!Number.isSafeInteger(limit) || limit < 0) throw badRequest(`invalid limit "${q.get('limit') ?? ''}": it must be a non-negative integer`);
  const cont = q.get('continue');
  let after: string | undefined;
  let listRv = String(r.store.resourceVersion);
  if (cont) {
    const token = decodeContinue(cont);
    after = token.start;
    // rv -1: the client accepted going on from the current state (the token of an expired-continue Status).
    if (token.rv !== CONTINUE_FROM_NOW) {
      if (Number(token.rv) < r.store.oldestResumableVersion) {
        throw new StatusError(410, 'Expired', CONTINUE_TOO_OLD_MESSAGE, undefined, { continue: encodeContinue(CONTINUE_FROM_NOW, token.start) });
      }
      listRv = token.rv;
    }
  }
  const all = r.store.list(storageKey(kind), ns);
  const page: ListedEntry[] = [];
  let remaining = 0;
  let nextKey: string | undefined;
  for (const entry of all) {
    if (after !== undefined && entry.key <= after) continue;
    if (!matches(entry.object)) continue;
    if (limit > 0 && page.length >= limit) {
      remaining++;
      continue;
    }
    page.push(entry);
    nextKey = entry.key;
  }
  const metadata: Record<string, unknown> = { resourceVersion: listRv };
  if (remaining > 0 && nextKey !== undefined) {
    metadata.continue = encodeContinue(listRv, nextKey);
    metadata.remainingItemCount = remaining;
  }
  const shape = responseShape(ex.header('accept'));
  if (shape.kind === 'object' && protobufAnswer(ex, kind)) {
    const list = { metadata, items: page.map((e) => e.object) };
    return ex.sendRaw(200, encodeKubernetesProtobuf(list, apiVersionOf(kind), kind.listKind), PROTOBUF_MEDIA_TYPE);
  }
  if (shape.kind === 'object') {
    // Fast path: splice cached object JSON instead of re-serializing every item.
    const head = JSON.stringify({ kind: kind.listKind, apiVersion: apiVersionOf(kind), metadata });
    // Items of a built-in list carry no apiVersion and kind (custom resource lists keep them), each form cached per object version.
    if (kind.custom) {
      ex.sendRaw(200, `${head.slice(0, -1)},"items":[${page.map((e) => e.json()).join(',')}]}`, shape.contentType);
      return;
    }
    ex.sendRaw(200, listBytes(`${head.slice(0, -1)},"items":[`, page), shape.contentType);
    return;
  }
  ex.sendJson(200, shapeList(shape, kind, page.map((e) => e.object), metadata, q), shape.contentType);
}

/** A typed list's answer: its head, then the items' cached bytes, copied once into one buffer. */
function listBytes(head: string, page: readonly ListedEntry[]): Buffer {
  const parts: Buffer[] = [Buffer.from(head)];
  for (let i = 0; i < page.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(page[i]!.itemBytes());
  }
  parts.push(LIST_END);
  return Buffer.concat(parts);
}

const COMMA = Buffer.from(',');
const LIST_END = Buffer.from(']}');

interface ContinueToken {
  readonly rv: string;
  readonly start: string;
}

/** The rv of a continue token that goes on from the current state, as kube-apiserver's -1. */
const CONTINUE_FROM_NOW = '-1';

function encodeContinue(rv: string, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'fkas.v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (t.v === 'fkas.v1' && typeof t.rv === 'string' && /^(-1|[0-9]+)$/.test(t.rv) && typeof t.start === 'string') return { rv: t.rv, start: t.start };
  } catch {
    // fall through to the error below
  }
  throw badRequest('invalid continue token: pass the metadata.continue value of the previous list response unchanged');
}

function serveWatch(ex: Exchange, cluster: ClusterView, kind: KindInfo, ns: string | undefined, name: string | undefined): void {
  const q = ex.query;
  const filter = listFilter(q, kind);
  const matches = name === undefined ? filter : (o: KubeObject): boolean => o.metadata.name === name && filter(o);
  const timeoutSeconds = q.get('timeoutSeconds');
  let timeoutMs = DEFAULT_WATCH_TIMEOUT_MS * (1 + Math.random());
  if (timeoutSeconds !== null) {
    const t = Number(timeoutSeconds);
    if (!Number.isFinite(t) || t < 0) throw badRequest(`invalid timeoutSeconds "${timeoutSeconds}"`);
    if (t > 0) timeoutMs = t * 1000;
  }
  const rvText = q.get('resourceVersion');
  if (rvText !== null) parseResourceVersion(rvText);
  const sendInitial = q.get('sendInitialEvents');
  if (sendInitial === 'true' && q.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw invalid({ group: '', resource: 'ListOptions', kind: 'ListOptions' }, [
      { field: 'resourceVersionMatch', message: "sendInitialEvents requires resourceVersionMatch=NotOlderThan" },
    ]);
  }
  const shape = responseShape(ex.header('accept'));
  const render = shape.kind === 'object' ? undefined : (o: KubeObject): string => JSON.stringify(shapeObject(shape, kind, o, q));
  const frame = shape.kind === 'object' && protobufAnswer(ex, kind) ? protobufWatchFrame(kind) : undefined;
  const sink = ex.startStream(frame ? PROTOBUF_WATCH_CONTENT_TYPE : shape.contentType);
  const watch = new Watch(cluster.resources.store, {
    kind,
    collection: storageKey(kind),
    ...(ns !== undefined ? { namespace: ns } : {}),
    matches,
    ...(q.get('resourceVersion') !== null ? { resourceVersion: q.get('resourceVersion')! } : {}),
    ...(sendInitial !== null ? { sendInitialEvents: sendInitial === 'true' } : {}),
    allowBookmarks: q.get('allowWatchBookmarks') === 'true',
    timeoutMs,
    ...(render ? { render } : {}),
    ...(frame ? { frame } : {}),
  }, sink);
  ex.onClose(() => watch.close());
  watch.start();
}

async function servePatch(ex: Exchange, cluster: ClusterView, kind: KindInfo, info: ResourceRequest, dryRun: boolean): Promise<void> {
  const r = cluster.resources;
  const sub = info.subresource;
  if (sub !== undefined && sub !== 'status' && sub !== 'scale') throw methodNotAllowed(ex, kind, sub);
  const contentType = mediaType(ex.header('content-type'));
  if (!(PATCH_CONTENT_TYPES as readonly string[]).includes(contentType)) {
    throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_CONTENT_TYPES.join(', ')}`);
  }
  if (kind.custom && contentType === 'application/strategic-merge-patch+json') {
    throw new StatusError(415, 'UnsupportedMediaType', `strategic merge patch is not supported for custom resources (${kind.plural}.${kind.group}); use a JSON merge patch (--type=merge) or a JSON patch`);
  }
  const isApply = contentType === 'application/apply-patch+yaml';
  const fieldManager = ex.query.get('fieldManager') ?? undefined;
  const write = {
    dryRun,
    ...schemaOptions(ex, 'PatchOptions'),
    origin: isApply ? ('apply' as const) : ('patch' as const),
    ...(sub === 'status' ? { subresource: 'status' as const } : {}),
    manager: isApply ? (fieldManager ?? '') : fieldManagerOf(ex),
    operation: isApply ? ('Apply' as const) : ('Update' as const),
  };
  const body = await ex.body();
  const force = ex.query.get('force') === 'true';
  const existing = r.find(kind, info.namespace, info.name!);
  // Made only for an apply: a closure per request is not free on the serving path.
  const checkApplied = isApply ? (applied: Record<string, unknown>): void => rejectWrongPatchResult(kind, 'apply', () => applied, applied, info.name!) : undefined;
  const opts = { apiVersion: apiVersionOf(kind), kind: kind.kind, fieldManager, force, namespaced: kind.namespaced, ...(checkApplied ? { checkApplied } : {}) };
  if (!existing) {
    if (!isApply || sub !== undefined) r.get(kind, info.namespace, info.name!); // throws the NotFound
    const applied = applyPatch(contentType, undefined, body, opts);
    rejectWrongPatchResult(kind, PATCH_TYPES[contentType]!, () => JSON.parse(body.toString('utf8')), applied, info.name!);
    if (applied.metadata?.name !== undefined && applied.metadata.name !== info.name) {
      throw badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${info.name!})`);
    }
    const created = r.create(kind, info.namespace, { ...applied, metadata: { ...applied.metadata, name: info.name! } }, write);
    await durable(r);
    return sendObject(ex, kind, created, 201);
  }
  if (sub === 'scale') {
    if (isApply) throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_CONTENT_TYPES.filter((t) => t !== 'application/apply-patch+yaml').join(', ')}`);
    const scale = patchScale(cluster, kind, existing, contentType, PATCH_TYPES[contentType]!, body, opts, { ...write, subresource: 'scale' });
    await durable(r);
    return ex.sendJson(200, scale);
  }
  const patched = applyPatch(contentType, existing, body, opts);
  rejectWrongPatchResult(kind, PATCH_TYPES[contentType]!, () => JSON.parse(body.toString('utf8')), patched, info.name!);
  if (!isPlainObject(patched.metadata)) throw badRequest('the patch removed metadata; metadata must stay an object');
  // The status subresource and the main resource each change only their own part.
  if (kind.subresources.includes('status')) {
    if (sub === 'status') {
      const next = { ...existing, metadata: existing.metadata } as KubeObject;
      if (patched.status === undefined) delete next.status;
      else next.status = patched.status;
      // Metadata changes through /status are ignored, as in kube-apiserver.
      // The copy is the store's; the original shares the live object's unchanged parts (for managedFields).
      // The live managedFields are not copied: the write replaces them as a whole, never in place.
      const stored = r.commit(kind, existing, cloneObject(next, { kept: existing.metadata.managedFields }), { ...write, sharedOriginal: next });
      await durable(r);
      return sendObject(ex, kind, stored, 200);
    }
    if (existing.status === undefined) delete patched.status;
    else patched.status = existing.status;
  }
  const rv = (patched.metadata as KubeObject['metadata']).resourceVersion;
  if (rv && rv !== existing.metadata.resourceVersion) {
    throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${kind.plural} "${info.name!}": the object has been modified; please apply your changes to the latest version and try again`);
  }
  // Unless the patch rewrote them, the live managedFields are not copied (see above).
  const stored = r.commit(kind, existing, cloneObject(patched, { kept: existing.metadata.managedFields }), write);
  await durable(r);
  return sendObject(ex, kind, stored, 200);
}

/** What kube-apiserver's answers call each patch content type. */
const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

async function deleteOptions(ex: Exchange, kind: KindInfo, dryRun: boolean): Promise<DeleteOptions> {
  const body = await readOptionalBody(ex);
  if (body) rejectWrongDeleteOptions(apiVersionOf(kind), body);
  const q = ex.query;
  const policy = (body?.propagationPolicy ?? q.get('propagationPolicy') ?? undefined) as string | undefined;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw badRequest(`invalid propagationPolicy "${policy}": use Orphan, Background or Foreground`);
  }
  const orphan = body?.orphanDependents ?? q.get('orphanDependents');
  const pre = isPlainObject(body?.preconditions) ? body.preconditions : undefined;
  const bodyDryRun = Array.isArray(body?.dryRun) && body.dryRun.includes('All');
  return {
    dryRun: dryRun || bodyDryRun,
    ...(policy ? { propagationPolicy: policy as PropagationPolicy } : orphan === true || orphan === 'true' ? { propagationPolicy: 'Orphan' as const } : {}),
    ...(pre
      ? {
          preconditions: {
            ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
            ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
          },
        }
      : {}),
  };
}
