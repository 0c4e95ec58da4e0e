import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Real client-go bytes for the decoder's tests: hack/pbencode decodes a JSON
 * object with client-go's scheme and encodes it exactly as a client-go REST
 * client sends it, and reports client-go's JSON of what kube-apiserver would
 * hold after decoding those bytes.
 */

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILD_SCRIPT = `${REPO_ROOT}hack/pbencode/build.sh`;
export const PBENCODE = `${REPO_ROOT}bin/pbencode`;
/** A cold build downloads nothing (go.sum pins it) but compiles client-go: about a minute on 2 cores. */
export const PBENCODE_BUILD_TIMEOUT_MS = 600_000;

/**
 * Builds bin/pbencode when missing or stale (build.sh is a no-op otherwise).
 * Fails loudly when Go is absent: these tests must not pass by skipping.
 */
export function ensurePbencode(): void {
  try {
    execFileSync('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'], timeout: PBENCODE_BUILD_TIMEOUT_MS });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `cannot build ${PBENCODE} with ${BUILD_SCRIPT}: ${stderr.trim() || (err as Error).message}\n` +
        'The protobuf decoder is tested against real client-go bytes and needs Go (1.25+) to build that encoder.',
      { cause: err },
    );
  }
  if (!existsSync(PBENCODE)) throw new Error(`${BUILD_SCRIPT} succeeded but ${PBENCODE} is missing`);
}

export interface ClientGoEncoding {
  /** The request body client-go sends: `k8s\0` + runtime.Unknown. */
  readonly protobuf: Buffer;
  /** client-go's JSON of the object decoded back from those bytes. */
  readonly json: Record<string, unknown>;
}

export interface EncodeOptions {
  /** Encode into another group version that registers the kind (DeleteOptions). */
  readonly groupVersion?: string;
}

export function clientGoEncode(object: object, options: EncodeOptions = {}): ClientGoEncoding {
  const args = ['-emit', 'both', ...(options.groupVersion ? ['-group-version', options.groupVersion] : [])];
  let stdout: Buffer;
  try {
    stdout = execFileSync(PBENCODE, args, { input: JSON.stringify(object), stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`pbencode rejected the fixture: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
  const parsed = JSON.parse(stdout.toString('utf8')) as { protobuf: string; json: Record<string, unknown> };
  return { protobuf: Buffer.from(parsed.protobuf, 'base64'), json: parsed.json };
}

/**
 * The one normalization between client-go's JSON and ours: Go writes `null`
 * for nil slices, maps and pointers whose JSON tag lacks omitempty (for
 * example a Pod's `containers` when empty), while the decoder leaves such
 * fields out. Null-valued properties are therefore dropped from client-go's
 * side. Nothing else is changed: empty objects, empty strings, zeros and
 * false must match exactly.
 */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (inner !== null) out[key] = dropNulls(inner);
    }
    return out;
  }
  return value;
}
