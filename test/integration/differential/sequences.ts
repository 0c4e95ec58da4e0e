import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from '../../../src/simulator/protobuf/decode.js';
import { normaliseAnswer, type Answer } from './normalise.js';
import type { Request } from './scenarios.js';
import type { Target } from './targets.js';
import type { RawResponse } from '../../support/raw-client.js';

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
    name: 'watch: in protobuf, resumed from a list resourceVersion',
    async run(t, send) {
      const rv = await rawListVersion(t, `${CM}?labelSelector=app%3Dwatch5`);
      await send({ as: 'admin', method: 'POST', path: CM, body: configMap('w5', 'watch5') });
      await send({ as: 'admin', method: 'PATCH', path: `${CM}/w5`, contentType: 'application/merge-patch+json', body: { data: { a: '2' } } });
      await send({ as: 'admin', method: 'DELETE', path: `${CM}/w5` });
      return protobufWatch(t, `${CM}?watch=true&labelSelector=app%3Dwatch5&resourceVersion=${rv}&${WATCH_END}`);
    },
  },
  {
    name: 'watch: in protobuf, with initial events and their bookmark',
    async run(t, send) {
      await send({ as: 'admin', method: 'POST', path: CM, body: configMap('w6', 'watch6') });
      return protobufWatch(t, `${CM}?watch=true&labelSelector=app%3Dwatch6&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&${WATCH_END}`);
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
  {
    name: 'managedFields: a status heartbeat from the manager that owns the fields keeps them, and its time moves on',
    async run(t, send) {
      // With a label, so the create records a manager: an object without managedFields gets none from updates.
      await send({ as: 'admin', method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-hb', labels: { role: 'heartbeat' } } } });
      const first = await heartbeat(t, 1);
      // Past the second (managedFields times have seconds precision), so a new stamp shows.
      await new Promise((r) => setTimeout(r, HEARTBEAT_GAP_MS));
      const second = await heartbeat(t, 2);
      const third = await heartbeat(t, 2);
      const entry = (res: RawResponse): { time?: string; fieldsV1?: unknown } | undefined =>
        res.json<{ metadata: { managedFields?: { manager: string; time?: string; fieldsV1?: unknown }[] } }>().metadata.managedFields?.find((e) => e.manager === 'kubelet');
      const [a, b, c] = [entry(first), entry(second), entry(third)];
      const facts = {
        sameFields: JSON.stringify(a?.fieldsV1) === JSON.stringify(b?.fieldsV1),
        timeMovedOn: (a?.time ?? '') < (b?.time ?? ''),
        unchangedWriteKeepsTime: b?.time === c?.time,
        answer: JSON.parse(second.text) as unknown,
      };
      return normaliseAnswer(second.status, 'application/json', JSON.stringify(facts));
    },
  },
  {
    name: 'managedFields: an update of an object that has none records none',
    async run(_t, send) {
      await send({ as: 'admin', method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-bare' } } });
      const body = { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'up' }] } };
      await send({ as: 'admin', method: 'PATCH', path: '/api/v1/nodes/node-bare/status?fieldManager=kubelet', contentType: 'application/strategic-merge-patch+json', body });
      return send({ as: 'admin', method: 'PATCH', path: '/api/v1/nodes/node-bare?fieldManager=labeller', contentType: 'application/merge-patch+json', body: { metadata: { labels: { role: 'bare' } } } });
    },
  },
  {
    name: 'managedFields: a JSON patch setting them to [] or [{}] (with a change) clears them for good',
    async run(_t, send) {
      const answers: Answer[] = [];
      for (const [name, cleared] of [
        ['mf-empty', []],
        ['mf-empty-entry', [{}]],
      ] as const) {
        await send({ as: 'admin', method: 'POST', path: `${CM}?fieldManager=creator`, body: configMap(name, 'mf') });
        const ops = [
          { op: 'replace', path: '/metadata/managedFields', value: cleared },
          { op: 'replace', path: '/data/a', value: '2' },
        ];
        answers.push(await send({ as: 'admin', method: 'PATCH', path: `${CM}/${name}?fieldManager=patcher`, contentType: 'application/json-patch+json', body: ops }));
        answers.push(await send({ as: 'admin', method: 'PATCH', path: `${CM}/${name}?fieldManager=later`, contentType: 'application/merge-patch+json', body: { data: { b: '3' } } }));
      }
      return { status: 200, contentType: 'application/json', body: answers };
    },
  },
];

const HEARTBEAT_GAP_MS = 1_100;

/** A kubelet-style status heartbeat: the Ready condition's message changes each time. */
function heartbeat(t: Target, n: number): Promise<RawResponse> {
  const body = { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: `heartbeat ${n}` }] } };
  return t.clients.admin.request('PATCH', '/api/v1/nodes/node-hb/status?fieldManager=kubelet', { body: JSON.stringify(body), contentType: 'application/strategic-merge-patch+json' });
}

/** A protobuf watch: length-prefixed WatchEvents, each object decoded by the simulator's decoder, as one JSON array. */
async function protobufWatch(t: Target, path: string): Promise<Answer> {
  const res = await t.clients.admin.request('GET', path, { accept: PROTOBUF_CONTENT_TYPE });
  const header = res.headers['content-type'];
  const ct = Array.isArray(header) ? header[0] : header;
  if (res.status !== 200 || !res.bytes) return normaliseAnswer(res.status, ct, res.text);
  const events: unknown[] = [];
  const bytes = res.bytes;
  for (let pos = 0; pos + FRAME_LENGTH_BYTES <= bytes.length; ) {
    const n = bytes.readUInt32BE(pos);
    const frame = bytes.subarray(pos + FRAME_LENGTH_BYTES, pos + FRAME_LENGTH_BYTES + n);
    pos += FRAME_LENGTH_BYTES + n;
    // A bare WatchEvent{1: type, 2: RawExtension{1: the object in its k8s\0 envelope}}.
    const event = fieldsOf(frame);
    const object = fieldsOf(event.get(2)!).get(1)!;
    let decoded: unknown;
    try {
      decoded = decodeKubernetesProtobuf(object);
    } catch (e) {
      decoded = `undecodable: ${(e as Error).message}`;
    }
    events.push({ type: event.get(1)!.toString('utf8'), object: decoded });
  }
  return normaliseAnswer(res.status, `${ct ?? ''} (decoded)`.replace('protobuf', 'protobuf+json'), JSON.stringify(events));
}

const FRAME_LENGTH_BYTES = 4;

/** The length-delimited fields of a protobuf message by number (the last wins); varints skipped. */
function fieldsOf(msg: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = msg[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (pos < msg.length) {
    const tag = varint();
    if ((tag & 7) === 0) varint();
    else if ((tag & 7) === 2) {
      const len = varint();
      out.set(tag >>> 3, msg.subarray(pos, pos + len));
      pos += len;
    } else throw new Error(`unexpected wire type ${tag & 7} in a watch frame`);
  }
  return out;
}

/** The resourceVersion of a list, read from the raw answer. */
async function rawListVersion(t: Target, path: string): Promise<string> {
  const res = await t.clients.admin.request('GET', path);
  return res.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
}
