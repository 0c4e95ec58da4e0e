import type { FakeAPIServer } from '../api/v1alpha1.js';
import { isConflict, isNotFound, isInvalid, type KubeClient, type ResourcePath } from '../kube/client.js';
import { rendezvousOwner } from './rendezvous.js';


/**
 * Which replica serves a FakeAPIServer, and the handover between two.
 *
 * The assignment (who *should* serve) is rendezvous hashing of the
 * FakeAPIServer's key over the assignable members. The claim (who *does*
 * serve) is `.status.servedBy`, and only the claim lets a replica open a
 * listener:
 * - a replica claims a FakeAPIServer assigned to it only when nobody holds
 *   it, or its holder is dead (its member Lease expired as we see it); the
 *   claim is a status patch that tests the resourceVersion the decision was
 *   made on, so of two replicas deciding at once one gets 409 and waits;
 * - a holder that is no longer assigned the FakeAPIServer first stops
 *   serving it (listener closed, every write durable in the store), and only
 *   then clears `servedBy` (a patch that tests it still names itself); the
 *   new owner, woken by that change, claims it and starts;
 * - a dead holder stopped serving before anyone judged it dead (the member
 *   Lease's renew deadline, membership.ts), and `--store etcd:` fences its
 *   late writes besides (etcd-commit.ts).
 * So at no moment do two replicas serve one FakeAPIServer; between the
 * release and the claim nobody does (a client retries, as it does when an
 * apiserver restarts).
 */

/** What this replica does with a FakeAPIServer now. */
export type ShardDecision =
  /** It holds the claim and the assignment (or the object is being deleted): reconcile as usual. */
  | 'serve'
  /** Nobody alive holds it and it is assigned here: claim, then reconcile. */
  | 'claim'
  /** It holds it but it is assigned elsewhere: stop serving, then clear the claim. */
  | 'release'
  /** Another replica holds it, or will: make sure it is not served here, write nothing. */
  | 'elsewhere';

export const SERVED_BY_FIELD = 'servedBy';

/** What ownership reads of the members (ShardMembership; a plain table in unit tests). */
export interface Members {
  readonly identity: string;
  /** This replica may serve (its Lease is renewed in time). */
  readonly valid: boolean;
  /** Members new clusters go to, sorted. */
  assignable(): string[];
  isAlive(identity: string): boolean;
}

export class ShardOwnership {
  /**
   * Our claim/release writes the informer has not delivered yet: key → the
   * resourceVersion the cache held before, and what servedBy is now.
   */
  private readonly pending = new Map<string, { readonly before: string | undefined; readonly holder: string }>();

  constructor(
    private readonly client: KubeClient,
    readonly membership: Members,
  ) {}

  get identity(): string {
    return this.membership.identity;
  }

  /** Who should serve `key` now. */
  assignee(key: string): string | undefined {
    return rendezvousOwner(key, this.membership.assignable());
  }

  /** Who holds the claim, our own unconfirmed writes included. */
  holderOf(key: string, fas: FakeAPIServer): string {
    const pending = this.pending.get(key);
    if (pending && pending.before === fas.metadata.resourceVersion) return pending.holder;
    this.pending.delete(key);
    return fas.status?.servedBy ?? '';
  }

  decide(key: string, fas: FakeAPIServer): ShardDecision {
    // Fenced (our Lease not renewed in time): serve nothing, claim nothing.
    if (!this.membership.valid) return 'elsewhere';
    const holder = this.holderOf(key, fas);
    const deleting = Boolean(fas.metadata.deletionTimestamp);
    if (holder === this.identity) return deleting || this.assignee(key) === this.identity ? 'serve' : 'release';
    if (holder !== '' && this.membership.isAlive(holder)) return 'elsewhere';
    return this.assignee(key) === this.identity ? 'claim' : 'elsewhere';
  }

  /** Whether this replica is the one to act for a FakeAPIServer (holds it, or may claim it). */
  actsFor(key: string, fas: FakeAPIServer): boolean {
    const d = this.decide(key, fas);
    return d === 'serve' || d === 'claim';
  }

  /** Whether this replica acts for a key no FakeAPIServer exists for (a FakeNode naming a missing cluster). */
  actsForOrphan(key: string): boolean {
    return this.membership.valid && this.assignee(key) === this.identity;
  }

  /**
   * Claims: the FakeAPIServer as written, once `.status.servedBy` names this
   * replica (the reconcile goes on with it: the cache is one event behind);
   * undefined when another write came first (its event brings the key back).
   */
  async claim(key: string, fas: FakeAPIServer, path: ResourcePath): Promise<FakeAPIServer | undefined> {
    const rv = fas.metadata.resourceVersion;
    const ops = [
      { op: 'test', path: '/metadata/resourceVersion', value: rv },
      fas.status ? { op: 'add', path: `/status/${SERVED_BY_FIELD}`, value: this.identity } : { op: 'add', path: '/status', value: { [SERVED_BY_FIELD]: this.identity } },
    ];
    let claimed: FakeAPIServer;
    try {
      claimed = await this.client.patch<FakeAPIServer>({ ...path, subresource: 'status' }, 'json', ops);
    } catch (err) {
      // 409 (a newer version) or 422 (the test failed): somebody changed it since; its event brings us back.
      if (isConflict(err) || isInvalid(err) || isNotFound(err)) return undefined;
      throw err;
    }
    this.pending.set(key, { before: rv, holder: this.identity });
    return claimed;
  }

  /** Clears a claim of ours (after the cluster stopped serving here); a claim someone else took is left alone. */
  async release(key: string, fas: FakeAPIServer, path: ResourcePath): Promise<void> {
    const ops = [
      { op: 'test', path: `/status/${SERVED_BY_FIELD}`, value: this.identity },
      { op: 'remove', path: `/status/${SERVED_BY_FIELD}` },
    ];
    try {
      await this.client.patch({ ...path, subresource: 'status' }, 'json', ops);
    } catch (err) {
      if (!isInvalid(err) && !isNotFound(err)) throw err;
    }
    this.pending.set(key, { before: fas.metadata.resourceVersion, holder: '' });
  }
}
