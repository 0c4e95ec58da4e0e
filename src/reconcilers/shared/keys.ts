import { isNotFound, type KubeClient, type ResourcePath } from '../../operator/kube/client.js';

/** `namespace/name` work-queue keys, and GETs where a missing object is an answer, not an error. */

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The object, or undefined when it (or its whole kind, e.g. an uninstalled CRD) does not exist. */
export async function getIfExists<T>(client: KubeClient, path: ResourcePath): Promise<T | undefined> {
  try {
    return await client.get<T>(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
