import { readFileSync } from 'node:fs';
import type { ObjectStore, StoreContents } from '../store/object-store.js';
import type { StorageBackend } from './backend.js';
import { MemoryBackend } from './backend.js';
import type { EtcdStoreOptions } from './etcd-backend.js';
import { FileBackend } from './file-backend.js';

/** What `--store` accepts. */
export const STORE_FORMS = 'memory | file:<dir> | etcd:<url>[,<url>…]';

/** Files of `--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile` (paths, as given). */
export interface EtcdTlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** What the backend needs besides the flag's value (sharding passes its replica id and fencing hook). */
export type EtcdExtras = Pick<EtcdStoreOptions, 'owner' | 'onFenced' | 'prefix' | 'logger'>;

/** A backend from a `--store` value, not yet opened. Bad values fail here, saying what to pass instead. */
export function storageFromFlag(value: string, tlsFiles: EtcdTlsFiles = {}, extras: EtcdExtras = {}): StorageBackend {
  const etcd = value.startsWith('etcd:');
  if (!etcd && (tlsFiles.caFile || tlsFiles.certFile || tlsFiles.keyFile)) throw new Error(`--etcd-cafile, --etcd-certfile and --etcd-keyfile go with --store etcd:<url>; --store is ${value}`);
  if (value === 'memory') return new MemoryBackend();
  if (value.startsWith('file:') && value.length > 'file:'.length) return new FileBackend(value.slice('file:'.length));
  if (etcd) {
    const endpoints = etcdEndpoints(value.slice('etcd:'.length));
    const tls = readTls(tlsFiles);
    if (tls && endpoints[0]!.startsWith('http://')) throw new Error(`--etcd-cafile/--etcd-certfile need https:// endpoints; --store is ${value}`);
    const options: EtcdStoreOptions = { endpoints, ...(tls ? { tls } : {}), ...extras };
    return new LoadedOnOpen(`etcd:${endpoints.join(',')}`, async () => new (await import('./etcd-backend.js')).EtcdBackend(options));
  }
  throw new Error(`--store ${value} is not one of: ${STORE_FORMS} (e.g. --store file:/var/lib/fkas on a volume, --store etcd:https://etcd:2379)`);
}

function etcdEndpoints(list: string): string[] {
  const endpoints = list.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (endpoints.length === 0) throw new Error('--store etcd: needs endpoints: --store etcd:http://127.0.0.1:2379 or etcd:https://etcd-0:2379,https://etcd-1:2379');
  for (const e of endpoints) {
    let url: URL | undefined;
    try {
      url = new URL(e);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.port || (url.pathname !== '/' && url.pathname !== '')) {
      throw new Error(`--store etcd: endpoint "${e}" must be a client URL with scheme and port, e.g. https://etcd-0:2379`);
    }
  }
  const schemes = new Set(endpoints.map((e) => new URL(e).protocol));
  if (schemes.size > 1) throw new Error(`--store etcd: endpoints mix http:// and https:// (${endpoints.join(',')}); use one scheme for all`);
  return endpoints;
}

/** Reads the PEM files now, so a missing or unreadable file stops the operator at start with its name. */
function readTls(files: EtcdTlsFiles): EtcdStoreOptions['tls'] {
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) throw new Error('--etcd-certfile and --etcd-keyfile come together: the client certificate and its key');
  const read = (flag: string, path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${flag} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): mount the etcd client certificates there (the Helm chart's store.etcd.certSecret)`, { cause: err });
    }
  };
  const ca = read('--etcd-cafile', files.caFile);
  const cert = read('--etcd-certfile', files.certFile);
  const key = read('--etcd-keyfile', files.keyFile);
  return ca || cert ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } : undefined;
}

/**
 * A backend whose code is imported by open(). The etcd backend brings etcd3 and gRPC (~200 ms
 * of start-up); a process on another store never loads them. Every other method is called
 * after open(), as StorageBackend requires.
 */
class LoadedOnOpen implements StorageBackend {
  private backend?: StorageBackend;

  constructor(
    readonly description: string,
    private readonly importBackend: () => Promise<StorageBackend>,
  ) {}

  async open(): Promise<void> {
    this.backend ??= await this.importBackend();
    await this.backend.open();
  }

  load(cluster: string): Promise<StoreContents | undefined> {
    return this.opened().load(cluster);
  }

  attach(cluster: string, store: ObjectStore): void {
    this.opened().attach(cluster, store);
  }

  release(cluster: string): Promise<void> {
    return this.opened().release(cluster);
  }

  forget(cluster: string): Promise<void> {
    return this.opened().forget(cluster);
  }

  async close(): Promise<void> {
    await this.backend?.close();
  }

  private opened(): StorageBackend {
    if (!this.backend) throw new Error(`store ${this.description} used before open()`);
    return this.backend;
  }
}
