import { StatusError } from '../../src/simulator/api/errors.js';

/** The StatusError `fn` throws; fails the spec when it throws nothing or something else. */
export function statusErrorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}
