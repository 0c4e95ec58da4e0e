import type { StorageBackend } from './backend.js';
import { MemoryBackend } from './backend.js';
import { FileBackend } from './file-backend.js';

/** What `--store` accepts; `etcd:` comes with the sharding work (issue 13, parts 3-4). */
export const STORE_FORMS = 'memory | file:<dir>';

/** A backend from a `--store` value, not yet opened. */
export function storageFromFlag(value: string): StorageBackend {
  if (value === 'memory') return new MemoryBackend();
  if (value.startsWith('file:') && value.length > 'file:'.length) return new FileBackend(value.slice('file:'.length));
  throw new Error(`--store ${value} is not one of: ${STORE_FORMS} (e.g. --store file:/var/lib/fkas on a volume)`);
}
