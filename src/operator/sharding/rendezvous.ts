import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest-random-weight) hashing: a key belongs to the member
 * with the highest hash of (member, key). Every replica computes the same
 * owner from the same member set with no coordination, and a member that
 * joins or leaves moves only the keys it wins or held (about 1/N of them),
 * never reshuffles the rest.
 */

/** 48 bits of SHA-1: exact in a double, spread evenly enough for any member count we meet. */
function weight(member: string, key: string): number {
  return createHash('sha1').update(member).update('\0').update(key).digest().readUIntBE(0, 6);
}

/** The member `key` belongs to; undefined when there are no members. Ties (never seen in practice) go to the smaller name. */
export function rendezvousOwner(key: string, members: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const m of members) {
    const w = weight(m, key);
    if (w > bestWeight || (w === bestWeight && best !== undefined && m < best)) {
      best = m;
      bestWeight = w;
    }
  }
  return best;
}
