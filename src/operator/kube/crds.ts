import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { assetPath } from '../../assets.js';
import { isNotFound, type KubeClient } from './client.js';

/**
 * Installs our CRDs from crds/ and waits until they are Established. Unlike
 * @dot-i/k8s-operator's registerCustomResourceDefinition, an existing CRD is
 * updated to the shipped schema, and watches only start once the apiserver
 * serves the kind (watching too early is a 404 that the library turns into
 * process.exit).
 */

const ESTABLISHED_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

interface Crd {
  metadata: { name: string; resourceVersion?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

export const CRD_DIR = assetPath('crds');

export async function readCrds(dir: string | URL = CRD_DIR): Promise<Crd[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const path = typeof dir === 'string' ? dir : dir.pathname;
  return Promise.all(names.map(async (n) => load(await readFile(join(path, n), 'utf8')) as Crd));
}

export async function installCrds(client: KubeClient, dir: string | URL = CRD_DIR): Promise<void> {
  const crds = await readCrds(dir);
  const path = { apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions' };
  for (const crd of crds) {
    try {
      const existing = await client.get<Crd>({ ...path, name: crd.metadata.name });
      await client.replace({ ...path, name: crd.metadata.name }, { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata.resourceVersion } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await client.create(path, crd);
    }
  }
  for (const crd of crds) await waitEstablished(client, crd.metadata.name);
}

async function waitEstablished(client: KubeClient, name: string): Promise<void> {
  const deadline = Date.now() + ESTABLISHED_TIMEOUT_MS;
  for (;;) {
    const crd = await client.get<Crd>({ apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} is not Established after ${ESTABLISHED_TIMEOUT_MS} ms; check the apiserver's logs`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
