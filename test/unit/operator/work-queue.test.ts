import { expect } from 'chai';
import { WorkQueue } from '../../../src/operator/queue/work-queue.js';
import { componentLogger } from '../../../src/telemetry/logger.js';

const log = componentLogger('test');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The work queue replaces @dot-i/k8s-operator's single global serial queue
 * and its swallowed handler errors.
 */
describe('the per-key work queue', () => {
  it('works different keys in parallel but never one key twice at once', async () => {
    let running = 0;
    let maxRunning = 0;
    const perKey = new Map<string, number>();
    let overlapOnOneKey = false;
    const q = new WorkQueue({
      name: 't',
      concurrency: 4,
      log,
      reconcile: async (key) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        if (perKey.get(key)! > 1) overlapOnOneKey = true;
        await sleep(20);
        perKey.set(key, perKey.get(key)! - 1);
        running--;
      },
    });
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    q.add('a'); // while queued: deduplicated
    await sleep(5);
    q.add('a'); // while running: runs again afterwards, not concurrently
    await sleep(100);
    await q.drain();
    expect(maxRunning).to.equal(4);
    expect(overlapOnOneKey).to.equal(false);
  });

  it('retries a failing reconcile with growing delays instead of dropping the error', async () => {
    const attempts: number[] = [];
    const q = new WorkQueue({
      name: 't',
      concurrency: 1,
      log,
      baseDelayMs: 10,
      reconcile: async () => {
        attempts.push(Date.now());
        if (attempts.length < 4) throw new Error('apiserver said no');
      },
    });
    q.add('k');
    const deadline = Date.now() + 2000;
    while (attempts.length < 4 && Date.now() < deadline) await sleep(5);
    expect(attempts).to.have.length(4);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps[1]!).to.be.at.least(gaps[0]!);
    expect(gaps[2]!).to.be.at.least(35); // 10, 20, 40 ms backoff
    await q.shutdown();
  });

  it('requeues a key after the delay a reconcile asks for', async () => {
    let n = 0;
    const q = new WorkQueue({ name: 't', concurrency: 1, log, reconcile: async () => (++n < 3 ? { requeueAfterMs: 10 } : undefined) });
    q.add('k');
    await sleep(100);
    expect(n).to.equal(3);
  });

  it('finishes running work on shutdown and takes no more', async () => {
    let finished = 0;
    const q = new WorkQueue({ name: 't', concurrency: 2, log, reconcile: async () => { await sleep(30); finished++; } });
    q.add('a');
    q.add('b');
    await sleep(5);
    await q.shutdown();
    expect(finished).to.equal(2);
    q.add('c');
    await sleep(50);
    expect(finished).to.equal(2);
  });
});
