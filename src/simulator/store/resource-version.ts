import { StatusError, badRequest } from '../api/errors.js';

/**
 * resourceVersion rules shared by every storage backend.
 *
 * kube-apiserver's resourceVersions are etcd revisions: uint64 in decimal,
 * and they never go backwards, not even across restarts. Ours are decimal
 * integers too, and a store that starts (or restarts) begins at an epoch
 * derived from the wall clock, so every version after a restart is larger
 * than any version handed out before it. Clients then see an old version as
 * "too old" (410 Expired) and relist, instead of trusting a cache of a past
 * that no longer exists.
 */

/**
 * Versions a store may hand out per millisecond of wall-clock time before a
 * restart could start below its last version: 1,000 per ms is a million
 * writes per second sustained over the store's whole life.
 * `Date.now() * 1000` stays below Number.MAX_SAFE_INTEGER (9.007e15) until
 * the year 2255, so versions remain exact JS integers and fit a uint64.
 */
export const RESOURCE_VERSIONS_PER_MS = 1000;

/**
 * A restored store starts at least this far above the version it saved:
 * versions a process handed out (and watchers saw) in its last moments may
 * not have reached the backend, and the replica that restores may have a
 * clock slightly behind the one that saved. A million versions is one
 * second of the epoch's rate: restored clusters run at most that far ahead
 * of the clock, and the next restart with a later clock catches up.
 */
export const RESTORE_VERSION_GAP = 1_000_000;

/** kube-apiserver waits this long for its cache to reach a requested version before answering 504. */
export const TOO_LARGE_RESOURCE_VERSION_WAIT_MS = 3000;

/** The first version of a store started now: above any version a store started earlier could have reached. */
export function epochResourceVersion(nowMs: number = Date.now()): number {
  return Math.floor(nowMs) * RESOURCE_VERSIONS_PER_MS;
}

/**
 * A client's resourceVersion as a number; '' and '0' (meaning "any") are 0.
 * kube-apiserver parses it as a uint64: anything else is 400 BadRequest.
 */
export function parseResourceVersion(text: string): number {
  if (text === '' || text === '0') return 0;
  const valid = /^[0-9]+$/.test(text);
  const value = valid ? Number(text) : NaN;
  if (valid && Number.isSafeInteger(value)) return value;
  const why = valid ? 'value out of range' : 'invalid syntax';
  throw badRequest(`invalid resource version: resourceVersion: Invalid value: "${text}": strconv.ParseUint: parsing "${text}": ${why}`);
}

/** The answer kube-apiserver gives when its cache did not reach the requested version in time. */
export function tooLargeResourceVersion(wanted: number, current: number): StatusError {
  return new StatusError(504, 'Timeout', `Timeout: Too large resource version: ${wanted}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

/** A watch resumed from a version the store's history no longer holds (sent as an ERROR event, as the watch cache does). */
export function tooOldResourceVersionMessage(wanted: number, oldest: number): string {
  return `too old resource version: ${wanted} (${oldest})`;
}

/** An exact list of a version the store no longer holds (etcd compacted it). */
export const LIST_TOO_OLD_MESSAGE = 'The resourceVersion for the provided list is too old.';

/** A continue token from a list at a version the store no longer holds; the Status carries a token to go on from now. */
export const CONTINUE_TOO_OLD_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, ' +
  'or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an ' +
  'inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
