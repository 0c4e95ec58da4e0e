import { badRequest, unsupportedMediaType } from '../api/errors.js';
import { checkJsonShape, JsonShapeError } from '../api/json-limits.js';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from '../protobuf/decode.js';
import { isPlainObject, type KubeObject } from '../store/object.js';
import { mediaType, parseJsonBody, type Exchange } from './exchange.js';
import { loadYamlBounded } from '../api/yaml-body.js';

/** Media types accepted for create/update/delete bodies. PATCH bodies are handled by the patch engines. */
export const OBJECT_CONTENT_TYPES = ['application/json', 'application/yaml', PROTOBUF_CONTENT_TYPE] as const;

/**
 * Reads an object body in any accepted wire format. controller-runtime sends
 * built-in kinds as Kubernetes protobuf; kubectl sends JSON; people send YAML.
 */
export async function readObjectBody(ex: Exchange, kind: string): Promise<KubeObject> {
  const buf = await ex.body();
  let value: unknown;
  try {
    value = decodeBody(buf, ex.header('content-type'));
  } catch (e) {
    throw e instanceof JsonShapeError ? e.forObjectBody(kind, buf) : e;
  }
  if (!isPlainObject(value)) throw badRequest('the request body must be a Kubernetes object (a JSON object)');
  return value as KubeObject;
}

/** Like readObjectBody, but an empty body is allowed (DELETE options). */
export async function readOptionalBody(ex: Exchange): Promise<Record<string, unknown> | undefined> {
  const buf = await ex.body();
  if (buf.length === 0) return undefined;
  let value: unknown;
  try {
    value = decodeBody(buf, ex.header('content-type'));
  } catch (e) {
    throw e instanceof JsonShapeError ? e.forDeleteOptions() : e;
  }
  if (value === null || value === undefined) return undefined;
  if (!isPlainObject(value)) throw badRequest('the request body must be a JSON object');
  return value;
}

/**
 * Decodes a body and refuses one nested deeper than the simulator's limit
 * before anything walks it (see ../api/json-limits.ts).
 */
export function decodeBody(buf: Buffer, contentType: string | undefined): unknown {
  const value = decodeByMediaType(buf, contentType);
  checkJsonShape(value);
  return value;
}

function decodeByMediaType(buf: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  switch (type) {
    case '':
    case 'application/json':
      return parseJsonBody(buf);
    case 'application/yaml':
    case 'application/x-yaml':
    case 'text/yaml':
      return loadYamlBounded(buf.toString('utf8'), 'the request body is not valid YAML');
    case PROTOBUF_CONTENT_TYPE:
      return decodeKubernetesProtobuf(buf);
    default:
      throw unsupportedMediaType(type, OBJECT_CONTENT_TYPES);
  }
}
