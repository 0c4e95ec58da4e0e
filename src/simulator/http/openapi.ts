import { createHash } from 'node:crypto';
import { StatusError } from '../api/errors.js';
import { apiVersionOf, type KindInfo } from '../kinds/kind.js';
import { storageKey } from '../kinds/registry.js';
import { typeSchemaFile, type FieldSchema, type MessageSchema } from '../schema/index.js';
import { isPlainObject } from '../store/object.js';
import type { ClusterView } from './cluster-view.js';
import type { Exchange } from './exchange.js';

/**
 * OpenAPI v3 (per group-version documents) and v2, generated from the type
 * schema of built-in kinds and from CRD schemas. kubectl reads v3 to decide
 * whether the server validates fields (the `fieldValidation` parameter of a
 * PATCH operation), to compute apply patches (patch strategy extensions) and
 * for `kubectl explain`.
 */

const V3_CONTENT_TYPE = 'application/json';
/** kube-apiserver writes the v3 index without a content type; Go's sniffing labels the JSON text/plain. */
const V3_INDEX_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** Query parameters of write operations, as kube-apiserver documents them. */
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map((name) => ({
  name,
  in: 'query',
  description: `${name} of the request`,
  schema: { type: 'string', uniqueItems: true },
}));
const PATCH_PARAMS = [...WRITE_PARAMS, { name: 'force', in: 'query', description: 'force an apply', schema: { type: 'boolean', uniqueItems: true } }];

type Schema = Record<string, unknown>;

/** Built-in group-version documents are the same for every cluster: build each once. */
const builtinDocs = new Map<string, { json: string; hash: string }>();

export function serveOpenApi(ex: Exchange, cluster: ClusterView, rest: string[]): void {
  const [version, ...gvParts] = rest;
  if (version === 'v3' && gvParts.length === 0) return ex.sendJson(200, v3Index(cluster), V3_INDEX_CONTENT_TYPE);
  if (version === 'v3') {
    const gv = gvParts.join('/');
    const doc = groupVersionDoc(cluster, gv);
    if (!doc) throw new StatusError(404, 'NotFound', `no OpenAPI document for ${gv}`);
    return ex.sendRaw(200, doc.json, V3_CONTENT_TYPE);
  }
  if (version === 'v2' && gvParts.length === 0) {
    const accept = ex.header('accept') ?? '*/*';
    // client-go asks for the protobuf encoding first and can't parse JSON under that name.
    if (!/application\/json|\*\/\*/.test(accept)) {
      throw new StatusError(406, 'NotAcceptable', 'only application/json is served for /openapi/v2; use /openapi/v3');
    }
    return ex.sendJson(200, v2Doc(cluster));
  }
  throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

function gvPath(k: Pick<KindInfo, 'group' | 'version'>): string {
  return k.group ? `apis/${k.group}/${k.version}` : `api/${k.version}`;
}

function v3Index(cluster: ClusterView): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of new Set(cluster.registry.all().map(gvPath))) {
    const doc = groupVersionDoc(cluster, gv);
    if (doc) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${doc.hash}` };
  }
  return { paths };
}

function groupVersionDoc(cluster: ClusterView, gv: string): { json: string; hash: string } | undefined {
  const kinds = cluster.registry.all().filter((k) => gvPath(k) === gv);
  if (kinds.length === 0) return undefined;
  const custom = kinds.some((k) => k.custom);
  if (!custom) {
    const cached = builtinDocs.get(gv);
    if (cached) return cached;
  }
  const schemas: Record<string, Schema> = {};
  const paths: Record<string, unknown> = {};
  for (const k of kinds) {
    const ref = k.custom ? customSchema(cluster, k, schemas) : builtinSchema(k, schemas);
    Object.assign(paths, kindPaths(k, ref));
  }
  const json = JSON.stringify({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: cluster.versionInfo.gitVersion ?? 'unknown' },
    paths,
    components: { schemas },
  });
  const doc = { json, hash: createHash('sha256').update(json).digest('hex').slice(0, 32).toUpperCase() };
  if (!custom) builtinDocs.set(gv, doc);
  return doc;
}

function kindPaths(k: KindInfo, schemaRef: string): Record<string, unknown> {
  const base = `/${gvPath(k)}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}`;
  const gvk = { group: k.group, version: k.version, kind: k.kind };
  const body = { content: { 'application/json': { schema: { $ref: schemaRef } } } };
  const ok = { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: schemaRef } } } } };
  const op = (action: string, id: string, parameters: unknown[] = []): Record<string, unknown> => ({
    operationId: `${id}${k.kind}`,
    parameters,
    responses: ok,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const paths: Record<string, unknown> = {
    [base]: { get: op('list', 'list'), post: { ...op('post', 'create', WRITE_PARAMS), requestBody: body }, delete: op('deletecollection', 'deleteCollection') },
    [`${base}/{name}`]: {
      get: op('get', 'read'),
      put: { ...op('put', 'replace', WRITE_PARAMS), requestBody: body },
      patch: { ...op('patch', 'patch', PATCH_PARAMS), requestBody: { content: { 'application/merge-patch+json': { schema: { type: 'object' } } } } },
      delete: op('delete', 'delete'),
    },
  };
  if (k.subresources.includes('status')) {
    paths[`${base}/{name}/status`] = { get: op('get', 'readStatus'), put: op('put', 'replaceStatus', WRITE_PARAMS), patch: op('patch', 'patchStatus', PATCH_PARAMS) };
  }
  return paths;
}

/** Adds a built-in kind's schema and everything it references; returns its $ref. */
function builtinSchema(k: KindInfo, out: Record<string, Schema>): string {
  const file = typeSchemaFile();
  const name = file.kinds[apiVersionOf(k)]?.[k.kind];
  if (!name) {
    const fallback = `fkas.generic.${k.group || 'core'}.${k.version}.${k.kind}`;
    out[fallback] = { type: 'object', 'x-kubernetes-group-version-kind': [{ group: k.group, version: k.version, kind: k.kind }] };
    return `#/components/schemas/${fallback}`;
  }
  addType(name, out);
  out[name] = { ...out[name], 'x-kubernetes-group-version-kind': [{ group: k.group, version: k.version, kind: k.kind }] };
  return `#/components/schemas/${name}`;
}

function addType(name: string, out: Record<string, Schema>): void {
  if (out[name]) return;
  const msg = typeSchemaFile().types[name];
  if (!msg) {
    out[name] = { type: 'object' };
    return;
  }
  out[name] = {}; // placeholder first: types refer to themselves (JSONSchemaProps)
  out[name] = messageSchema(msg, out, name);
}

function messageSchema(msg: MessageSchema, out: Record<string, Schema>, name?: string): Schema {
  switch (msg.format) {
    case 'time':
    case 'micro-time':
      return { type: 'string', format: 'date-time' };
    case 'duration':
    case 'quantity':
      return { type: 'string' };
    case 'int-or-string':
      return { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true };
    case 'raw-json':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case undefined:
      break;
    default:
      return {};
  }
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const collect = (m: MessageSchema, typeName: string | undefined): void => {
    for (const f of m.fields) {
      if (f.inline || f.name === '') {
        const inner = f.ref ? typeSchemaFile().types[f.ref] : undefined;
        if (inner) collect(inner, f.ref);
        continue;
      }
      properties[f.name] = fieldSchema(f, out);
      if (!f.omitempty && !OPTIONAL_WITHOUT_OMITEMPTY.has(`${typeName ?? ''}.${f.name}`)) required.push(f.name);
    }
  };
  collect(msg, name);
  return { type: 'object', ...(required.length ? { required } : {}), properties };
}

/**
 * Fields Go always writes (no omitempty) that kube's OpenAPI still calls
 * optional (`+optional` markers, which the type schema does not carry).
 * Every other field without omitempty is required, as kube's generator
 * decides (kubectl explain marks them -required-).
 */
const OPTIONAL_WITHOUT_OMITEMPTY = new Set(['io.k8s.api.rbac.v1.Role.rules', 'io.k8s.api.rbac.v1.ClusterRole.rules']);

function fieldSchema(f: FieldSchema, out: Record<string, Schema>): Schema {
  const extensions: Schema = {
    ...(f.patchStrategy ? { 'x-kubernetes-patch-strategy': f.patchStrategy } : {}),
    ...(f.patchMergeKey ? { 'x-kubernetes-patch-merge-key': f.patchMergeKey } : {}),
  };
  let item: Schema;
  if (f.type === 'map') {
    const value = f.value === 'message' && f.ref ? refTo(f.ref, out) : scalarSchema(f.value ?? 'string');
    return { type: 'object', additionalProperties: value, ...extensions };
  }
  if (f.type === 'message') item = f.ref ? refTo(f.ref, out) : { type: 'object' };
  else item = scalarSchema(f.type);
  return f.repeated ? { type: 'array', items: item, ...extensions } : { ...item, ...extensions };
}

function refTo(name: string, out: Record<string, Schema>): Schema {
  addType(name, out);
  return { allOf: [{ $ref: `#/components/schemas/${name}` }] };
}

function scalarSchema(t: string): Schema {
  switch (t) {
    case 'bool':
      return { type: 'boolean' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'double':
    case 'float':
      return { type: 'number', format: 'double' };
    case 'string':
      return { type: 'string' };
    case 'int32':
    case 'uint32':
    case 'sint32':
    case 'fixed32':
    case 'sfixed32':
      return { type: 'integer', format: 'int32' };
    default:
      return { type: 'integer', format: 'int64' };
  }
}

/** A custom kind's schema comes from its CRD's openAPIV3Schema for that version. */
function customSchema(cluster: ClusterView, k: KindInfo, out: Record<string, Schema>): string {
  const name = `${k.group.split('.').reverse().join('.')}.${k.version}.${k.kind}`;
  let schema: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const crd = cluster.resources.store.get(storageKey({ group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' }), undefined, `${k.plural}.${k.group}`);
  const versions = crd && isPlainObject(crd.spec) && Array.isArray(crd.spec.versions) ? crd.spec.versions : [];
  for (const v of versions) {
    if (isPlainObject(v) && v.name === k.version && isPlainObject(v.schema) && isPlainObject(v.schema.openAPIV3Schema)) {
      schema = v.schema.openAPIV3Schema;
    }
  }
  out[name] = { ...schema, 'x-kubernetes-group-version-kind': [{ group: k.group, version: k.version, kind: k.kind }] };
  return `#/components/schemas/${name}`;
}

/** OpenAPI v2: the same schemas as definitions, for clients that still read it. */
function v2Doc(cluster: ClusterView): unknown {
  const definitions: Record<string, Schema> = {};
  const paths: Record<string, unknown> = {};
  for (const k of cluster.registry.all()) {
    const ref = (k.custom ? customSchema(cluster, k, definitions) : builtinSchema(k, definitions)).replace('#/components/schemas/', '#/definitions/');
    for (const [p, ops] of Object.entries(kindPaths(k, ref))) paths[p] = ops;
  }
  const text = JSON.stringify({ swagger: '2.0', info: { title: 'Kubernetes', version: cluster.versionInfo.gitVersion ?? 'unknown' }, paths, definitions });
  return JSON.parse(text.replaceAll('#/components/schemas/', '#/definitions/'));
}
