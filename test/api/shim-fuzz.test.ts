import { shimFuzz } from '../support/shim-fuzz.js';

/**
 * ≥ 1,000 generated broken bodies per shim endpoint (FKAS_FUZZ_RUNS to change,
 * FKAS_FUZZ_SEED to repeat a run), against the embedded management API.
 */
shimFuzz(() => undefined);
