import { StatusError } from './errors.js';

/**
 * Limits on the shape of JSON values a client can make the simulator hold.
 *
 * kube-apiserver refuses JSON nested deeper than 10,000 levels (Go's JSON
 * scanner limit). The simulator runs on one JavaScript stack, where
 * V8's own recursive walks (JSON.stringify, structuredClone) give out at a
 * few thousand levels, so it refuses earlier, at MAX_NESTING_DEPTH, with
 * the answer kube-apiserver gives past its limit. Real objects nest a few
 * dozen levels (a CRD's openAPIV3Schema somewhat more).
 */
export const MAX_NESTING_DEPTH = 1000;

/** What kube-apiserver's Go JSON scanner reports past its depth limit. */
export const EXCEEDED_MAX_DEPTH = 'exceeded max depth';

/**
 * Values (objects, arrays, scalars) one decoded body may expand to. JSON
 * cannot exceed it within the body size limit; YAML aliases can (a few
 * hundred bytes of `&a [*b, *b, ...]` expand to billions of values).
 */
export const MAX_EXPANDED_VALUES = 2 * 1024 * 1024;

export interface JsonShape {
  /** Deepest nesting of objects and arrays: 0 for a scalar, 1 for `{}` or `[1]`. */
  readonly depth: number;
  /** Values the JSON form holds, counting a shared (aliased) value at every place it appears. */
  readonly values: number;
  /** The walk stopped early because depth or values passed the given limits. */
  readonly exceeded: boolean;
  /** How the value that went too deep opens in JSON. */
  readonly opener?: '{' | '[';
}

interface Frame {
  readonly value: object;
  readonly depth: number;
}

/**
 * Measures a decoded value without recursion, stopping as soon as it passes
 * `maxDepth` or `maxValues`. A value reached twice (a YAML alias) is walked
 * twice, as JSON would spell it out; the value cap bounds that work.
 */
export function measureJson(value: unknown, maxDepth = MAX_NESTING_DEPTH, maxValues = MAX_EXPANDED_VALUES): JsonShape {
  if (typeof value !== 'object' || value === null) return { depth: 0, values: 1, exceeded: false };
  const stack: Frame[] = [{ value, depth: 1 }];
  let depth = 0;
  let values = 1;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > depth) depth = frame.depth;
    if (depth > maxDepth) return { depth, values, exceeded: true, opener: Array.isArray(frame.value) ? '[' : '{' };
    const children = Array.isArray(frame.value) ? (frame.value as unknown[]) : Object.values(frame.value);
    values += children.length;
    if (values > maxValues) return { depth, values, exceeded: true };
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: frame.depth + 1 });
    }
  }
  return { depth, values, exceeded: false };
}

/**
 * A decoded value nested too deep, or (through YAML aliases) too big. The
 * message is Go's scanner error; callers that know the context reword it
 * as kube-apiserver does there (see forObjectBody, forPatch).
 */
export class JsonShapeError extends StatusError {
  constructor(
    readonly opener: '{' | '[' | undefined,
    readonly aliasing: boolean,
  ) {
    super(400, 'BadRequest', aliasing ? 'yaml: document contains excessive aliasing' : `invalid character '${opener ?? '{'}' ${EXCEEDED_MAX_DEPTH}`);
  }

  /** kube-apiserver decoding an object body (create, update) of kind `kind`. */
  forObjectBody(kind: string, body: Buffer): StatusError {
    const cause = this.aliasing ? this.message : `couldn't get version/kind; json parse error: ${this.message}`;
    return new StatusError(400, 'BadRequest', `the object provided is unrecognized (must be of type ${kind}): ${cause} (${bodySnippet(body)})`);
  }

  /** kube-apiserver decoding a DeleteOptions body. */
  forDeleteOptions(): StatusError {
    return new StatusError(400, 'BadRequest', this.aliasing ? this.message : `couldn't get version/kind; json parse error: ${this.message}`);
  }
}

/** Bytes of a body kube-apiserver quotes in a decoding error. */
const SNIPPET_BYTES = 30;

/** The start of a body as kube-apiserver quotes it: text when printable, hex otherwise, "..." when cut. */
function bodySnippet(body: Buffer): string {
  const head = body.subarray(0, SNIPPET_BYTES);
  const text = head.toString('utf8');
  const printable = ![...text].some((c) => c < ' ' || c === '\x7f' || c === '\ufffd');
  return `${printable ? text : head.toString('hex')}${body.length > SNIPPET_BYTES ? ' ...' : ''}`;
}

/**
 * Refuses a decoded value that is nested too deep or (through aliases) too
 * big, before any recursive code walks it.
 */
export function checkJsonShape(value: unknown): void {
  const shape = measureJson(value);
  if (!shape.exceeded) return;
  throw new JsonShapeError(shape.opener, shape.depth <= MAX_NESTING_DEPTH);
}
