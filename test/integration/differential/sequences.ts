import { normaliseAnswer, type Answer } from './normalise.js';
import type { Request } from './scenarios.js';
import type { Target } from './targets.js';

/**
 * Scenarios of several requests whose last answer is compared: watch event
 * sequences (a stream's events become one JSON array), watch resume from a
 * list's resourceVersion, objects leaving a selector. Each sequence uses its
 * own objects, so the order of scenarios does not matter.
 */

export interface Sequence {
  readonly name: string;
  run(t: Target, send: (r: Request) => Promise<Answer>): Promise<Answer>;
}

const NS = 'diff';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
/** Watches end after a second on both servers: what they sent by then is the answer. */
const WATCH_END = 'timeoutSeconds=1';

const configMap = (name: string, app: string, a = '1'): unknown => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app } }, data: { a } });

/** A watch's events as a JSON array, normalised as any answer. */
async function watch(t: Target, path: string): Promise<Answer> {
  const res = await t.clients.admin.request('GET', path);
  const contentType = res.headers['content-type'];
  const ct = Array.isArray(contentType) ? contentType[0] : contentType;
  if (res.status !== 200) return normaliseAnswer(res.status, ct, res.text);
  const lines = res.text.split('\n').filter((l) => l.trim() !== '');
  return normaliseAnswer(res.status, ct, `[${lines.join(',')}]`);
}

export const SEQUENCES: readonly Sequence[] = [
  {
    name: 'watch: resumes from a list resourceVersion with ADDED, MODIFIED, DELETED',
    async run(t, send) {
      const rv = await rawListVersion(t, `${CM}?labelSelector=app%3Dwatch1`);
      await send({ as: 'admin', method: 'POST', path: CM, body: configMap('w1', 'watch1') });
      await send({ as: 'admin', method: 'PATCH', path: `${CM}/w1`, contentType: 'application/merge-patch+json', body: { data: { a: '2' } } });
      await send({ as: 'admin', method: 'DELETE', path: `${CM}/w1` });
      return watch(t, `${CM}?watch=true&labelSelector=app%3Dwatch1&resourceVersion=${rv}&${WATCH_END}`);
    },
  },
  {
    name: 'watch: sendInitialEvents sends what exists, then a bookmark ending the initial events',
    async run(t, send) {
      await send({ as: 'admin', method: 'POST', path: CM, body: configMap('w2', 'watch2') });
      return watch(t, `${CM}?watch=true&labelSelector=app%3Dwatch2&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&${WATCH_END}`);
    },
  },
  {
    name: 'watch: an object whose labels stop matching leaves a selector watch',
    async run(t, send) {
      await send({ as: 'admin', method: 'POST', path: CM, body: configMap('w3', 'watch3') });
      const rv = await rawListVersion(t, `${CM}?labelSelector=app%3Dwatch3`);
      await send({ as: 'admin', method: 'PATCH', path: `${CM}/w3`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { app: 'elsewhere' } } } });
      return watch(t, `${CM}?watch=true&labelSelector=app%3Dwatch3&resourceVersion=${rv}&${WATCH_END}`);
    },
  },
  {
    name: 'watch: without a resourceVersion starts with ADDED for what exists',
    async run(t) {
      return watch(t, `/api/v1/nodes?watch=true&fieldSelector=metadata.name%3Dnode-a&${WATCH_END}`);
    },
  },
  {
    name: 'watch: from resourceVersion 1 (older than anything kept)',
    async run(t) {
      return watch(t, `${CM}?watch=true&resourceVersion=1&${WATCH_END}`);
    },
  },
  {
    name: 'watch: one object by name from its own resourceVersion',
    async run(t, send) {
      await send({ as: 'admin', method: 'POST', path: CM, body: configMap('w4', 'watch4') });
      const rv = await rawListVersion(t, `${CM}?fieldSelector=metadata.name%3Dw4`);
      await send({ as: 'admin', method: 'PATCH', path: `${CM}/w4`, contentType: 'application/merge-patch+json', body: { data: { b: '3' } } });
      return watch(t, `${CM}?watch=true&fieldSelector=metadata.name%3Dw4&resourceVersion=${rv}&${WATCH_END}`);
    },
  },
];

/** The resourceVersion of a list, read from the raw answer. */
async function rawListVersion(t: Target, path: string): Promise<string> {
  const res = await t.clients.admin.request('GET', path);
  return res.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
}
