import { expect } from 'chai';
import fc from 'fast-check';
import http2 from 'node:http2';
import { issueCertificate } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';
import { MAX_NESTING_DEPTH } from '../../src/simulator/api/json-limits.js';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import { MAX_JSON_PATCH_OPERATIONS } from '../../src/simulator/patch/json-patch.js';
import { Simulator } from '../../src/simulator/simulator.js';

/**
 * Hostile bodies for every write verb of a fake cluster, generated with
 * fast-check. Each one must be refused with the 4xx Status kube-apiserver
 * gives for it (code and reason), within 2 s, without creating or changing
 * any object; the cluster must serve normally afterwards.
 */

/** Generated bodies per verb and run. */
const RUNS_PER_VERB = 1_000;
/** Longest a refusal may take. */
const ANSWER_WITHIN_MS = 2_000;

const CM = '/api/v1/namespaces/default/configmaps';
const TARGET = `${CM}/target`;
const WIDGETS = '/apis/example.com/v1/namespaces/default/widgets';
const JSON_CT = 'application/json';
const YAML_CT = 'application/yaml';
const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
const APPLY_PATCH = 'application/apply-patch+yaml';

/** One hostile request body and the answer it must get. */
interface Hostile {
  readonly what: string;
  readonly body: string;
  readonly contentType: string;
  readonly code: number;
  readonly reason: string;
}

const hostile = (what: string, body: string, contentType: string, code: number, reason: string): Hostile => ({ what, body, contentType, code, reason });

// ---- value generators -------------------------------------------------------

/** Keys that are plain data to every patch engine (no `$patch` directives, no `__proto__`). */
const plainKey = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
/** Any JSON value that is not a string (what a `map[string]string` value must be); null is excluded, Go reads it as unset. */
const notAString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 4 }),
  fc.dictionary(plainKey, fc.string(), { maxKeys: 4 }),
);
const notAnObject = fc.oneof(fc.integer(), fc.boolean(), fc.string(), fc.array(fc.integer(), { maxLength: 4 }));
const notABool = fc.oneof(fc.integer(), fc.string(), fc.array(fc.boolean(), { maxLength: 3 }), fc.dictionary(plainKey, fc.boolean(), { maxKeys: 3 }));
const invalidName = fc.stringMatching(/^[A-Z_][A-Za-z0-9_]{0,20}$/);

/** A ConfigMap with exactly one field of the wrong Go type. */
const wrongTypedConfigMap = fc.oneof(
  fc.record({ metadata: fc.constant({ name: 'target' }), data: fc.dictionary(plainKey, notAString, { minKeys: 1, maxKeys: 3 }) }),
  fc.record({ metadata: fc.constant({ name: 'target' }), data: notAnObject }),
  fc.record({ metadata: fc.constant({ name: 'target' }), immutable: notABool }),
  fc.record({ metadata: fc.record({ name: fc.constant('target'), labels: fc.dictionary(plainKey, notAString, { minKeys: 1, maxKeys: 3 }) }) }),
  fc.record({ metadata: fc.constant({ name: 'target' }), binaryData: fc.dictionary(plainKey, fc.constantFrom('!!!', 'abc', '====', 'a=b='), { minKeys: 1, maxKeys: 2 }) }),
);

/** JSON nested past the limit, opening with a mix of objects and arrays. */
const tooDeep = fc.record({ depth: fc.integer({ min: MAX_NESTING_DEPTH + 1, max: 12_000 }), seed: fc.integer({ min: 0, max: 2 ** 30 }) }).map(({ depth, seed }) => {
  const open: string[] = [];
  const close: string[] = [];
  let x = seed;
  for (let i = 0; i < depth; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    const array = x % 2 === 0;
    open.push(array ? '[' : '{"k":');
    close.push(array ? ']' : '}');
  }
  return `${open.join('')}1${close.reverse().join('')}`;
});

/** Text that JSON.parse refuses. */
const notJson = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});

/** YAML whose aliases expand to billions of values (a "billion laughs" document). */
const aliasBomb = fc.integer({ min: 8, max: 12 }).map((levels) => {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: target', 'data:', '  l0: &l0 ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < levels; i++) lines.push(`  l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(',')}]`);
  return lines.join('\n');
});

const cmJson = (v: unknown): string => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', ...(v as object) });
const deepConfigMap = (deep: string): string => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"},"data":{"x":${deep}}}`;

// ---- per-verb generators -----------------------------------------------------

const createBodies: fc.Arbitrary<Hostile> = fc.oneof(
  notJson.map((b) => hostile('invalid JSON', b, JSON_CT, 400, 'BadRequest')),
  tooDeep.map((d) => hostile('nested too deep', deepConfigMap(d), JSON_CT, 400, 'BadRequest')),
  tooDeep.map((d) => hostile('nested too deep (YAML)', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: {x: ${d}}\n`, YAML_CT, 400, 'BadRequest')),
  aliasBomb.map((b) => hostile('YAML alias bomb', b, YAML_CT, 400, 'BadRequest')),
  wrongTypedConfigMap.map((o) => hostile('wrong Go type', cmJson({ ...o, metadata: { ...(o.metadata as object), name: 'fresh' } }), JSON_CT, 400, 'BadRequest')),
  fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => hostile('not an object', JSON.stringify(v), JSON_CT, 400, 'BadRequest')),
  invalidName.map((n) => hostile('invalid name', cmJson({ metadata: { name: n } }), JSON_CT, 422, 'Invalid')),
  fc.constantFrom('Secret', 'Pod', 'configmap').map((k) => hostile('another kind', JSON.stringify({ apiVersion: 'v1', kind: k, metadata: { name: 'fresh' } }), JSON_CT, 400, 'BadRequest')),
  plainKey.map((k) => hostile('an existing name', cmJson({ metadata: { name: 'target' }, data: { [k]: 'v' } }), JSON_CT, 409, 'AlreadyExists')),
);

const updateBodies: fc.Arbitrary<Hostile> = fc.oneof(
  notJson.map((b) => hostile('invalid JSON', b, JSON_CT, 400, 'BadRequest')),
  tooDeep.map((d) => hostile('nested too deep', deepConfigMap(d), JSON_CT, 400, 'BadRequest')),
  wrongTypedConfigMap.map((o) => hostile('wrong Go type', cmJson(o), JSON_CT, 400, 'BadRequest')),
  fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => hostile('not an object', JSON.stringify(v), JSON_CT, 400, 'BadRequest')),
  invalidName.map((n) => hostile('another name than the URL', cmJson({ metadata: { name: n } }), JSON_CT, 400, 'BadRequest')),
  fc.integer({ min: 1 }).map((rv) => hostile('a stale resourceVersion', cmJson({ metadata: { name: 'target', resourceVersion: String(rv + 1_000_000) }, data: { a: 'changed' } }), JSON_CT, 409, 'Conflict')),
);

const jsonPatchBodies: fc.Arbitrary<Hostile> = fc.oneof(
  notJson.map((b) => hostile('invalid JSON', b, JSON_PATCH, 400, 'BadRequest')),
  tooDeep.map((d) => hostile('a value nested too deep', `[{"op":"add","path":"/data/x","value":${d}}]`, JSON_PATCH, 400, 'BadRequest')),
  fc.jsonValue().filter((v) => !Array.isArray(v)).map((v) => hostile('not a list of operations', JSON.stringify(v), JSON_PATCH, 400, 'BadRequest')),
  fc.string().filter((op) => !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)).map((op) => hostile('an unknown op', JSON.stringify([{ op, path: '/data/a', value: 'x' }]), JSON_PATCH, 400, 'BadRequest')),
  fc.array(plainKey, { minLength: 1, maxLength: 5 }).map((p) => hostile('removing a missing path', JSON.stringify([{ op: 'remove', path: `/nothing/${p.join('/')}` }]), JSON_PATCH, 422, 'Invalid')),
  fc.string().filter((v) => v !== '1').map((v) => hostile('a failing test op', JSON.stringify([{ op: 'replace', path: '/data/a', value: 'changed' }, { op: 'test', path: '/data/a', value: v }]), JSON_PATCH, 422, 'Invalid')),
  fc.tuple(plainKey, notAString).map(([k, v]) => hostile('a wrong Go type', JSON.stringify([{ op: 'add', path: `/data/${k}`, value: v }]), JSON_PATCH, 422, 'Invalid')),
  fc.constant(0).map(() => hostile('too many operations', JSON.stringify(Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/data/a', value: '1' }))), JSON_PATCH, 413, 'RequestEntityTooLarge')),
  fc.integer({ min: 40, max: 80 }).map((n) => hostile('copies that double the document', JSON.stringify([{ op: 'add', path: '/data/b', value: 'x'.repeat(64) }, ...Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '/data', path: `/data/c${i}` }))]), JSON_PATCH, 422, 'Invalid')),
);

/** Patches leave the name out: it is the URL's. */
function withoutName(metadata: unknown): Record<string, unknown> {
  const { name: _name, ...rest } = metadata as Record<string, unknown>;
  return rest;
}

function mergeLike(contentType: string, what: string): fc.Arbitrary<Hostile> {
  return fc.oneof(
    notJson.map((b) => hostile('invalid JSON', b, contentType, 400, 'BadRequest')),
    tooDeep.map((d) => hostile('nested too deep', `{"data":{"x":${d}}}`, contentType, 400, 'BadRequest')),
    fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => hostile('not an object', JSON.stringify(v), contentType, 400, 'BadRequest')),
    wrongTypedConfigMap.map((o) => hostile(`a wrong Go type (${what})`, JSON.stringify({ ...o, metadata: withoutName(o.metadata) }), contentType, 422, 'Invalid')),
    fc.tuple(plainKey, notAString).map(([k, v]) => hostile(`a label of the wrong type (${what})`, JSON.stringify({ metadata: { labels: { [k]: v } } }), contentType, 422, 'Invalid')),
  );
}

const applyBodies: fc.Arbitrary<Hostile> = fc.oneof(
  fc.string({ maxLength: 64 }).map((b) => hostile('YAML that is no ConfigMap', b, APPLY_PATCH, 400, 'BadRequest')),
  tooDeep.map((d) => hostile('nested too deep', deepConfigMap(d), APPLY_PATCH, 400, 'BadRequest')),
  aliasBomb.map((b) => hostile('YAML alias bomb', b, APPLY_PATCH, 400, 'BadRequest')),
  wrongTypedConfigMap.map((o) => hostile('a wrong Go type', cmJson(o), APPLY_PATCH, 400, 'BadRequest')),
  fc.constantFrom('v2', 'apps/v1', '').map((v) => hostile('another apiVersion', JSON.stringify({ apiVersion: v, kind: 'ConfigMap', metadata: { name: 'target' } }), APPLY_PATCH, 400, 'BadRequest')),
);

const deleteBodies: fc.Arbitrary<Hostile> = fc.oneof(
  notJson.map((b) => hostile('invalid JSON', b, JSON_CT, 400, 'BadRequest')),
  tooDeep.map((d) => hostile('nested too deep', `{"kind":"DeleteOptions","apiVersion":"v1","preconditions":${d}}`, JSON_CT, 400, 'BadRequest')),
  fc.jsonValue().filter((v) => v !== null && (typeof v !== 'object' || Array.isArray(v))).map((v) => hostile('not an object', JSON.stringify(v), JSON_CT, 400, 'BadRequest')),
  notAnObject.filter((v) => typeof v !== 'number').map((v) => hostile('gracePeriodSeconds of the wrong type', JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: v }), JSON_CT, 400, 'BadRequest')),
  fc.string().filter((p) => !['Orphan', 'Background', 'Foreground'].includes(p)).map((p) => hostile('an unknown propagationPolicy', JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: p }), JSON_CT, 400, 'BadRequest')),
  fc.uuid().map((uid) => hostile('a uid precondition that does not match', JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } }), JSON_CT, 409, 'Conflict')),
);

// ---- the suite -----------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly ms: number;
}

describe('fake-cluster write verbs refuse generated hostile bodies', function () {
  this.timeout(600_000);
  let sim: Simulator;
  let cluster: FakeCluster;
  let session: http2.ClientHttp2Session;

  function send(method: string, path: string, body?: string, contentType?: string): Promise<Answer> {
    const start = Date.now();
    return new Promise((resolve, reject) => {
      const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': path, accept: JSON_CT };
      if (contentType) headers['content-type'] = contentType;
      // Node ends GET and DELETE streams at once unless told a body follows.
      const stream = session.request(headers, { endStream: body === undefined });
      let status = 0;
      let text = '';
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (text += c));
      stream.on('end', () => resolve({ status, text, ms: Date.now() - start }));
      stream.on('error', reject);
      stream.end(body);
    });
  }

  /** Everything a refused request must leave as it was. */
  const snapshot = (): string =>
    JSON.stringify({ rv: cluster.resources.store.resourceVersion, cms: cluster.resources.store.list('/configmaps'), widgets: cluster.resources.store.list('example.com/widgets') });

  before(async () => {
    sim = new Simulator();
    cluster = await sim.createCluster({ name: 'fuzz' });
    const ca = sim.caOf('fuzz')!;
    const key = await generateEcKey();
    const cert = issueCertificate(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usages: ['client'], publicKey: key });
    session = http2.connect(cluster.endpoint.url, { ca: ca.certPem, cert: cert.certPem, key: privateKeyToPem(key) });
    const crd = {
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true }] },
    };
    expect((await send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.stringify(crd), JSON_CT)).status).to.equal(201);
    expect((await send('POST', CM, cmJson({ metadata: { name: 'target', annotations: { a: 'b' } }, data: { a: '1' } }), JSON_CT)).status).to.equal(201);
    expect((await send('POST', WIDGETS, JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'target' }, spec: {} }), JSON_CT)).status).to.equal(201);
  });

  after(async () => {
    session?.close();
    await sim?.close();
  });

  /** Sends every generated body and checks the answer and the store; returns how many were sent. */
  async function refusesAll(method: string, path: string, bodies: fc.Arbitrary<Hostile>): Promise<number> {
    let sent = 0;
    const before = snapshot();
    await fc.assert(
      fc.asyncProperty(bodies, async (h) => {
        const answer = await send(method, path, h.body, h.contentType);
        sent++;
        const context = `${h.what}: ${answer.status} ${answer.text.slice(0, 300)}`;
        expect(answer.status, context).to.equal(h.code);
        const status = JSON.parse(answer.text) as Record<string, unknown>;
        expect(status, context).to.include({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: h.code, reason: h.reason });
        expect(status.message, context).to.be.a('string').and.not.equal('');
        expect(answer.ms, `${context} took ${answer.ms} ms`).to.be.at.most(ANSWER_WITHIN_MS);
        expect(snapshot(), `${context} changed the store`).to.equal(before);
      }),
      { numRuns: RUNS_PER_VERB },
    );
    return sent;
  }

  afterEach(async () => {
    // Healthy afterwards: probes answer and a valid write still goes through.
    expect((await send('GET', '/readyz')).status).to.equal(200);
    const created = await send('POST', CM, cmJson({ metadata: { name: 'healthy' }, data: { a: 'b' } }), JSON_CT);
    expect(created.status, created.text).to.equal(201);
    expect((await send('DELETE', `${CM}/healthy`)).status).to.equal(200);
  });

  it(`create (POST): ${RUNS_PER_VERB} hostile bodies`, async () => expect(await refusesAll('POST', CM, createBodies)).to.be.at.least(RUNS_PER_VERB));
  it(`update (PUT): ${RUNS_PER_VERB} hostile bodies`, async () => expect(await refusesAll('PUT', TARGET, updateBodies)).to.be.at.least(RUNS_PER_VERB));
  it(`PATCH json-patch: ${RUNS_PER_VERB} hostile bodies`, async () => expect(await refusesAll('PATCH', TARGET, jsonPatchBodies)).to.be.at.least(RUNS_PER_VERB));
  it(`PATCH merge-patch: ${RUNS_PER_VERB} hostile bodies`, async () => expect(await refusesAll('PATCH', TARGET, mergeLike(MERGE_PATCH, 'merge'))).to.be.at.least(RUNS_PER_VERB));
  it(`PATCH strategic-merge-patch: ${RUNS_PER_VERB} hostile bodies`, async () => expect(await refusesAll('PATCH', TARGET, mergeLike(STRATEGIC_PATCH, 'strategic'))).to.be.at.least(RUNS_PER_VERB));
  it(`PATCH apply-patch: ${RUNS_PER_VERB} hostile bodies`, async () => expect(await refusesAll('PATCH', `${TARGET}?fieldManager=fuzz`, applyBodies)).to.be.at.least(RUNS_PER_VERB));
  it(`DELETE with a body: ${RUNS_PER_VERB} hostile bodies`, async () => expect(await refusesAll('DELETE', TARGET, deleteBodies)).to.be.at.least(RUNS_PER_VERB));
});
