import { expect } from 'chai';
import { ObjectStore, sharedObjects } from '../../../src/simulator/store/object-store.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { RESTORE_VERSION_GAP, epochResourceVersion } from '../../../src/simulator/store/resource-version.js';

/** What a durable backend hands a store at a restart, and what the store makes of it. */
describe('a restored object store', () => {
  const ROLES = 'rbac.authorization.k8s.io/clusterroles';
  const role = (name: string, rv: number): KubeObject => Object.freeze({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: Object.freeze({ name, resourceVersion: String(rv) }) });
  const shared = () => sharedObjects(new Map([[ROLES, [role('admin', 1), role('view', 1)]]]));
  const TEN_MINUTES_MS = 10 * 60_000;

  it('goes on above the saved version even on a replica whose clock is behind the one that saved it', () => {
    const savedAt = Date.now();
    const saved = { resourceVersion: epochResourceVersion(savedAt) + 500, collections: new Map() };
    const store = new ObjectStore();
    store.restore(saved, epochResourceVersion(savedAt - TEN_MINUTES_MS));
    expect(store.resourceVersion).to.equal(saved.resourceVersion + RESTORE_VERSION_GAP);
    expect(store.oldestResumableVersion, 'every version before the restart is too old for a watch').to.equal(store.resourceVersion);
    expect(store.nextResourceVersion()).to.be.greaterThan(saved.resourceVersion);
  });

  it('goes on from the clock when the clock is further ahead', () => {
    const saved = { resourceVersion: epochResourceVersion(Date.now() - TEN_MINUTES_MS), collections: new Map() };
    const store = new ObjectStore();
    const now = epochResourceVersion();
    store.restore(saved, now);
    expect(store.resourceVersion).to.equal(now);
  });

  it('keeps lent objects it deleted deleted, and reports them for the next save', () => {
    const store = new ObjectStore();
    store.seed(shared());
    store.restore({ resourceVersion: 10, collections: new Map(), deletedShared: new Map([[ROLES, ['admin', 'not-lent']]]) });
    expect(store.get(ROLES, undefined, 'admin')).to.equal(undefined);
    expect(store.get(ROLES, undefined, 'view')?.metadata.name).to.equal('view');
    expect(store.hidesShared(ROLES, 'admin')).to.equal(true);
    expect(store.hidesShared(ROLES, 'not-lent'), 'a key no object was lent under is no tombstone').to.equal(false);
    expect(store.contents().deletedShared).to.deep.equal(new Map([[ROLES, ['admin']]]));
  });
});
