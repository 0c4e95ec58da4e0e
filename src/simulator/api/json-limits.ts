import { badRequest, type StatusError } from './errors.js';

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
    if (depth > maxDepth) return { depth, values, exceeded: true };
    const children = Array.isArray(frame.value) ? (frame.value as unknown[]) : Object.values(frame.value);
    values += children.length;
    if (values > maxValues) return { depth, values, exceeded: true };
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: frame.depth + 1 });
    }
  }
  return { depth, values, exceeded: false };
}

/** The 400 for a body nested too deep, worded as kube-apiserver words it. */
export function tooDeep(): StatusError {
  return badRequest(`json: ${EXCEEDED_MAX_DEPTH}`);
}

/** The 400 for a YAML body whose aliases expand beyond MAX_EXPANDED_VALUES. */
export function excessiveAliasing(): StatusError {
  return badRequest('yaml: document contains excessive aliasing');
}

/**
 * Refuses a decoded value that is nested too deep or (through aliases) too
 * big, before any recursive code walks it.
 */
export function checkJsonShape(value: unknown, tooBig: () => StatusError = tooDeep): void {
  const shape = measureJson(value);
  if (!shape.exceeded) return;
  throw shape.depth > MAX_NESTING_DEPTH ? tooDeep() : tooBig();
}
