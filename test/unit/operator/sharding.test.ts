import { expect } from 'chai';
import type { FakeAPIServer } from '../../../src/operator/api/v1alpha1.js';
import type { KubeClient } from '../../../src/operator/kube/client.js';
import { memberLeaseName } from '../../../src/operator/sharding/membership.js';
import { ShardOwnership, type Members } from '../../../src/operator/sharding/ownership.js';
import { rendezvousOwner } from '../../../src/operator/sharding/rendezvous.js';

const KEYS = Array.from({ length: 3000 }, (_, i) => `ns-${i % 7}/cluster-${i}`);

function assignment(members: string[]): Map<string, string> {
  return new Map(KEYS.map((k) => [k, rendezvousOwner(k, members)!]));
}

describe('rendezvous hashing of FakeAPIServers over replicas', () => {
  it('gives every replica about an equal share', () => {
    const owners = [...assignment(['a', 'b', 'c']).values()];
    for (const m of ['a', 'b', 'c']) {
      const share = owners.filter((o) => o === m).length / KEYS.length;
      expect(share, m).to.be.within(0.3, 0.37);
    }
  });

  it('moves only the leaving replica’s keys when one leaves, and only keys to the newcomer when one joins', () => {
    const three = assignment(['a', 'b', 'c']);
    const two = assignment(['a', 'c']);
    for (const [k, o] of three) if (o !== 'b') expect(two.get(k), k).to.equal(o);
    const four = assignment(['a', 'b', 'c', 'd']);
    for (const [k, o] of four) if (o !== 'd') expect(o, k).to.equal(three.get(k));
    expect([...four.values()].filter((o) => o === 'd').length / KEYS.length).to.be.within(0.2, 0.3);
  });

  it('does not depend on the order members are listed in, and has no owner without members', () => {
    for (const k of KEYS.slice(0, 100)) expect(rendezvousOwner(k, ['c', 'a', 'b'])).to.equal(rendezvousOwner(k, ['a', 'b', 'c']));
    expect(rendezvousOwner('ns/x', [])).to.equal(undefined);
  });
});

describe('who serves a FakeAPIServer (ShardOwnership.decide)', () => {
  /** A member table: `me` and the others, who is alive, who is draining. */
  const members = (opts: { me: string; alive: string[]; draining?: string[]; valid?: boolean }): Members => ({
    identity: opts.me,
    valid: opts.valid ?? true,
    assignable: () => opts.alive.filter((m) => !(opts.draining ?? []).includes(m)).sort(),
    isAlive: (id) => opts.alive.includes(id),
  });
  const fas = (servedBy?: string, deleting = false): FakeAPIServer => ({
    apiVersion: 'fkas.metal3.io/v1alpha1',
    kind: 'FakeAPIServer',
    metadata: { name: 'c', namespace: 'ns', resourceVersion: '7', ...(deleting ? { deletionTimestamp: '2026-12-03T00:00:00Z' } : {}) },
    spec: {},
    status: servedBy ? { servedBy } : {},
  });
  const key = 'ns/c';
  const owner = rendezvousOwner(key, ['r1', 'r2', 'r3'])!;
  const other = ['r1', 'r2', 'r3'].find((m) => m !== owner)!;
  const third = ['r1', 'r2', 'r3'].find((m) => m !== owner && m !== other)!;
  const decide = (me: string, servedBy: string | undefined, opts: { alive?: string[]; draining?: string[]; valid?: boolean; deleting?: boolean } = {}): string =>
    new ShardOwnership({} as KubeClient, members({ me, alive: opts.alive ?? ['r1', 'r2', 'r3'], ...(opts.draining ? { draining: opts.draining } : {}), ...(opts.valid === undefined ? {} : { valid: opts.valid }) })).decide(key, fas(servedBy, opts.deleting));

  it('lets the assigned replica claim a FakeAPIServer nobody holds; the others keep off', () => {
    expect(decide(owner, undefined)).to.equal('claim');
    expect(decide(other, undefined)).to.equal('elsewhere');
  });

  it('keeps serving what it holds and is assigned', () => {
    expect(decide(owner, owner)).to.equal('serve');
  });

  it('waits while another live replica holds it, even when it is assigned here', () => {
    expect(decide(owner, other)).to.equal('elsewhere');
  });

  it('releases what it holds once it is assigned elsewhere (a replica joined, or this one drains)', () => {
    expect(decide(other, other)).to.equal('release');
    expect(decide(owner, owner, { draining: [owner] })).to.equal('release');
  });

  it('claims from a dead holder only when it is the assigned replica', () => {
    const alive = ['r1', 'r2', 'r3'].filter((m) => m !== third);
    const assigned = rendezvousOwner(key, alive)!;
    expect(decide(assigned, third, { alive })).to.equal('claim');
    expect(decide(alive.find((m) => m !== assigned)!, third, { alive })).to.equal('elsewhere');
  });

  it('finishes a deletion where it is served, assigned or not', () => {
    expect(decide(other, other, { deleting: true })).to.equal('serve');
  });

  it('serves and claims nothing while its own Lease is not renewed in time', () => {
    expect(decide(owner, owner, { valid: false })).to.equal('elsewhere');
    expect(decide(owner, undefined, { valid: false })).to.equal('elsewhere');
  });
});

describe('member Lease names', () => {
  it('makes a valid object name of any replica id', () => {
    expect(memberLeaseName('metal3-fkas-0')).to.equal('fkas-shard-metal3-fkas-0');
    expect(memberLeaseName('Host_Name:1234')).to.equal('fkas-shard-host-name-1234');
    expect(memberLeaseName('__')).to.equal('fkas-shard-replica');
  });
});
