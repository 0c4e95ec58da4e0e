import { expect } from 'chai';
import { KubeClient } from '../../src/operator/kube/client.js';
import { StatusWriter } from '../../src/operator/kube/status-writes.js';
import { componentLogger } from '../../src/telemetry/logger.js';
import { startFakeCluster, type FakeClusterFixture } from '../support/fake-cluster.js';
import { CountingKubeClient } from '../support/shim-fixture.js';

/** Statuses decided by reconciles reach the API server in batches (issue 12: writes per cluster). */

const COALESCE_MS = 150;
type NodeStatus = { conditions: { type: string; status: string; reason: string }[] };
const nodePath = (name: string) => ({ apiVersion: 'v1', plural: 'nodes', name });
const condition = (status: string, reason: string): NodeStatus => ({ conditions: [{ type: 'Ready', status, reason }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('StatusWriter: decided statuses, written in batches', () => {
  let f: FakeClusterFixture;
  let client: CountingKubeClient;
  let retried: string[];
  let writer: StatusWriter<NodeStatus>;

  before(async () => {
    f = await startFakeCluster({ name: 'status-writer' });
    client = new CountingKubeClient(KubeClient.fromFile(f.kubeconfigPath).kubeConfig, 'status-writer-spec');
    for (const name of ['a', 'b']) await client.create({ apiVersion: 'v1', plural: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  });
  after(async () => {
    client?.close();
    await f?.close();
  });
  beforeEach(() => {
    retried = [];
    writer = new StatusWriter<NodeStatus>({ client, log: componentLogger('spec'), retry: (key) => retried.push(key), coalesceMs: COALESCE_MS });
  });

  const form = (s: NodeStatus) => JSON.stringify(s);
  const decide = (key: string, s: NodeStatus) => writer.decide(key, nodePath(key), s, form(s));
  const readyOf = async (name: string) => (await client.get<{ status?: NodeStatus }>(nodePath(name))).status?.conditions?.find((c) => c.type === 'Ready');

  it('answers decided() at once and tells subscribers, before anything is written', async () => {
    const heard: string[] = [];
    const unsubscribe = writer.subscribe((key) => heard.push(key));
    const calls = await client.count(async () => {
      expect(decide('a', condition('False', 'Starting'))).to.equal(true);
      expect(writer.decided('a')).to.deep.equal(condition('False', 'Starting'));
    });
    unsubscribe();
    expect(heard).to.deep.equal(['a']);
    expect(calls).to.deep.equal([]);
    await writer.flush();
  });

  it('folds decisions made within the window into one write of the newest', async () => {
    const calls = await client.count(async () => {
      decide('b', condition('False', 'Starting'));
      decide('b', condition('True', 'KubeletReady'));
      expect(decide('b', condition('True', 'KubeletReady'))).to.equal(false); // the same again: nothing to write
      await sleep(COALESCE_MS * 3);
    });
    expect(calls).to.deep.equal(['PATCH /api/v1/nodes/b/status']);
    expect(await readyOf('b')).to.include({ status: 'True', reason: 'KubeletReady' });
  });

  it('keeps a written status until the informer delivers the object, then forgets it', async () => {
    decide('a', condition('True', 'Written'));
    await writer.flush();
    expect(writer.decided('a')).to.deep.equal(condition('True', 'Written'));
    writer.observed('a');
    expect(writer.decided('a')).to.equal(undefined);
  });

  it('keeps a status not yet written when an unrelated event arrives', () => {
    decide('a', condition('False', 'Pending'));
    writer.observed('a');
    expect(writer.decided('a')).to.deep.equal(condition('False', 'Pending'));
    writer.forget('a');
    expect(writer.decided('a')).to.equal(undefined);
  });

  it('withdraws a decision not yet written, but not one the server already has', async () => {
    decide('a', condition('False', 'Waiting'));
    expect(writer.withdraw('a')).to.equal(true);
    expect(writer.decided('a')).to.equal(undefined);
    decide('a', condition('True', 'Sent'));
    await writer.flush();
    expect(writer.withdraw('a')).to.equal(false);
    expect(writer.decided('a')).to.deep.equal(condition('True', 'Sent'));
  });

  it('drops the status of an object that is gone, and reconciles again after any other failed write', async () => {
    writer.decide('gone', nodePath('gone'), condition('True', 'X'), 'x');
    // The API server refuses it (conditions must be a list): a reconcile decides again.
    writer.decide('b', nodePath('b'), { conditions: 'not a list' } as unknown as NodeStatus, 'y');
    await writer.flush();
    expect(writer.decided('gone')).to.equal(undefined);
    expect(retried).to.not.include('gone');
    expect(writer.decided('b')).to.equal(undefined);
    expect(retried).to.deep.equal(['b']);
  });

  it('writes nothing while held (an operator start restoring every object): a decision withdrawn meanwhile never reaches the server', async () => {
    const release = writer.hold();
    const writes = await client.count(async () => {
      decide('a', condition('False', 'Restoring'));
      decide('b', condition('True', 'Changed'));
      await sleep(COALESCE_MS * 3);
      expect(await readyOf('b')).to.not.include({ reason: 'Changed' });
      writer.withdraw('a'); // restored: what the server holds again
      release();
      await sleep(COALESCE_MS * 3);
    });
    expect(writes.filter((w) => w.startsWith('PATCH'))).to.deep.equal(['PATCH /api/v1/nodes/b/status']);
    expect(await readyOf('b')).to.include({ status: 'True', reason: 'Changed' });
  });

  it('writes every decision on flush() without waiting for the window', async () => {
    const slow = new StatusWriter<NodeStatus>({ client, log: componentLogger('spec'), retry: () => undefined, coalesceMs: 60_000 });
    slow.decide('a', nodePath('a'), condition('True', 'Flushed'), 'flushed');
    await slow.flush();
    expect(await readyOf('a')).to.include({ status: 'True', reason: 'Flushed' });
  });
});
