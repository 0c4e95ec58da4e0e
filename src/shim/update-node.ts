import { API_VERSION, CAPI_CONTROL_PLANE_LABEL, FAKE_API_SERVER, FAKE_NODE, FAKE_NODE_FINALIZER, NODE_ROLE_CONTROL_PLANE_LABEL, type FakeAPIServer, type FakeNode, type FakeNodeSpec, type NodeRole } from '../operator/api/v1alpha1.js';
import { isAlreadyExists, isNotFound, KubeApiError, type ResourcePath } from '../operator/kube/client.js';
import { cachedFakeApiServer, describeCondition, type ShimContext } from './context.js';
import type { Deadline } from './deadline.js';
import { fromManagementApi, ShimError } from './errors.js';
import { checkNodeNameForRole, fakeNodeNameOf, parseUpdateNode, type UpdateNodeRequest } from './requests.js';
import type { Verdict } from './waiters.js';

/**
 * PUT /updateNode: write the FakeNode `<cluster>-<nodeName>` with the whole
 * node the request describes and answer once the operator has registered
 * that generation. Concurrent first calls converge: whoever loses the create
 * patches what the winner created.
 */

export interface UpdateNodeAnswer {
  readonly Resource: string;
  readonly NodeName: string;
  readonly Role: NodeRole;
  readonly Status: 'Registered';
}

const CAPI_MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', plural: 'machines' };
/** A create that meets an existing object patches it, a patch that meets none creates: this many rounds before giving up on a flapping object. */
const MAX_WRITE_ROUNDS = 4;
/** The FakeNode controller's reason when the fake cluster refused the node. */
const REGISTRATION_FAILED = 'RegistrationFailed';

interface Written {
  readonly key: string;
  readonly path: ResourcePath;
  readonly uid: string;
  readonly generation: number;
  /** What to put back if the fake cluster refuses the node: delete what we created, or the spec we replaced (when the cache knew it). */
  readonly undo?: { readonly delete: true } | { readonly spec: FakeNodeSpec };
}

export async function updateNode(ctx: ShimContext, raw: unknown, deadline: Deadline): Promise<UpdateNodeAnswer> {
  const req = parseUpdateNode(raw);
  await requireCluster(ctx, req, deadline);
  const role = await roleOf(ctx, req, deadline);
  checkNodeNameForRole(req.nodeName, role);
  const spec: FakeNodeSpec = {
    clusterName: req.cluster,
    nodeName: req.nodeName,
    providerID: req.providerID,
    ...(req.uuid ? { uuid: req.uuid } : {}),
    labels: req.labels,
    ...(req.k8sversion ? { kubernetesVersion: req.k8sversion } : {}),
    role,
  };
  const written = await writeFakeNode(ctx, req.namespace, fakeNodeNameOf(req.cluster, req.nodeName), spec, deadline);
  const waiting = ctx.fakeNodeWaiters.wait(written.key, (o) => registered(o, written));
  try {
    await deadline.race(`waiting for the operator to register FakeNode ${written.key}`, waiting.result, () => describeCondition(ctx.fakeNodes.get(written.key), 'Registered'));
  } catch (err) {
    if (err instanceof ShimError && err.status === 422) {
      const putBack = await undo(ctx, written, deadline);
      throw new ShimError(422, `${err.message}; ${putBack ? 'the FakeNode was put back as it was' : 'the FakeNode keeps what was sent: fix the request and send it again'}`, err.field);
    }
    throw err;
  } finally {
    waiting.cancel();
  }
  return { Resource: `${req.namespace}/${req.cluster}`, NodeName: req.nodeName, Role: role, Status: 'Registered' };
}

/** The cluster must be registered; the cache answers, the management API only when the cache does not know it (yet). */
async function requireCluster(ctx: ShimContext, req: UpdateNodeRequest, deadline: Deadline): Promise<void> {
  if (cachedFakeApiServer(ctx, req.namespace, req.cluster)) return;
  const doing = `reading FakeAPIServer ${req.namespace}/${req.cluster}`;
  try {
    const fas = await deadline.race(doing, ctx.client.get<FakeAPIServer>({ apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural, namespace: req.namespace, name: req.cluster }));
    if ((fas.spec?.clusterName || fas.metadata.name) === req.cluster) return;
  } catch (err) {
    if (!isNotFound(err)) throw fromManagementApi(err, doing, req.namespace);
  }
  throw new ShimError(404, `cluster ${req.namespace}/${req.cluster} is not registered: POST /register first`, 'cluster');
}

/** The request has no role: an explicit field, else the control-plane label, else the CAPI Machine of that name, else worker. */
async function roleOf(ctx: ShimContext, req: UpdateNodeRequest, deadline: Deadline): Promise<NodeRole> {
  if (req.role) return req.role;
  if (req.labels[NODE_ROLE_CONTROL_PLANE_LABEL] !== undefined) return 'control-plane';
  try {
    const machine = await deadline.race(
      `reading CAPI Machine ${req.namespace}/${req.nodeName}`,
      ctx.client.get<{ metadata: { labels?: Record<string, string> } }>({ ...CAPI_MACHINE, namespace: req.namespace, name: req.nodeName }),
    );
    return machine.metadata.labels?.[CAPI_CONTROL_PLANE_LABEL] !== undefined ? 'control-plane' : 'worker';
  } catch (err) {
    if (err instanceof ShimError) throw err; // the deadline
    // No Machine (or no CAPI installed): a worker, as the original assumed.
    return 'worker';
  }
}

/** Patch if it exists, create if not; a create that loses a race patches, a patch that finds nothing creates. */
async function writeFakeNode(ctx: ShimContext, namespace: string, name: string, spec: FakeNodeSpec, deadline: Deadline): Promise<Written> {
  const key = `${namespace}/${name}`;
  const path: ResourcePath = { apiVersion: API_VERSION, plural: FAKE_NODE.plural, namespace, name };
  let exists = ctx.fakeNodes.get(key) !== undefined;
  for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
    const doing = `${exists ? 'updating' : 'creating'} FakeNode ${key}`;
    try {
      if (exists) {
        const before = ctx.fakeNodes.get(key)?.spec;
        if (before) requireSameNode(key, before, spec);
        // The request describes the whole node: replace the spec (labels included) in one write, only if it still stands for the same node.
        const patch = [{ op: 'test', path: '/spec/clusterName', value: spec.clusterName }, { op: 'test', path: '/spec/nodeName', value: spec.nodeName }, { op: 'add', path: '/spec', value: spec }];
        const patched = await deadline.race(doing, ctx.client.patch<FakeNode>(path, 'json', patch));
        return written(key, path, patched, before ? { spec: before } : undefined);
      }
      // Created with the operator's finalizer already on: the operator need not write it.
      const body = { apiVersion: API_VERSION, kind: FAKE_NODE.kind, metadata: { name, namespace, finalizers: [FAKE_NODE_FINALIZER] }, spec };
      const created = await deadline.race(doing, ctx.client.create<FakeNode>({ ...path, name: undefined }, body));
      return written(key, path, created, { delete: true });
    } catch (err) {
      if (exists && isNotFound(err)) exists = false;
      else if (!exists && isAlreadyExists(err)) exists = true;
      else if (exists && err instanceof KubeApiError && err.code === 422) throw collision(key, spec); // a test operation failed
      else throw fromManagementApi(err, doing, namespace);
    }
  }
  throw new ShimError(409, `FakeNode ${key} was created and deleted again ${MAX_WRITE_ROUNDS} times while this request wrote it: something else is deleting it; send the request again`, 'nodeName');
}

/**
 * `<cluster>-<nodeName>` is ambiguous (cluster a + node b-c, cluster a-b +
 * node c): never move another cluster's node.
 */
function requireSameNode(key: string, current: FakeNodeSpec, wanted: FakeNodeSpec): void {
  if (current.clusterName !== wanted.clusterName || current.nodeName !== wanted.nodeName) throw collision(key, wanted, current);
}

function collision(key: string, wanted: FakeNodeSpec, current?: FakeNodeSpec): ShimError {
  const owner = current ? ` stands for node ${current.nodeName} of cluster ${current.clusterName}` : ' stands for another cluster or node';
  return new ShimError(409, `FakeNode ${key}${owner}, and "<cluster>-<nodeName>" of node ${wanted.nodeName} of cluster ${wanted.clusterName} is the same name: use another node name`, 'nodeName');
}

function written(key: string, path: ResourcePath, o: FakeNode, undo: Written['undo']): Written {
  return { key, path, uid: o.metadata.uid ?? '', generation: o.metadata.generation ?? 0, ...(undo ? { undo } : {}) };
}

/** Done when the operator reports Registered for the generation written (or a later one) of this very object. */
function registered(o: FakeNode | undefined, w: Written): Verdict<FakeNode> {
  if (!o || o.metadata.uid !== w.uid) return undefined;
  if (o.metadata.deletionTimestamp) return { fail: new ShimError(409, `FakeNode ${w.key} is being deleted: send the request again once it is gone`, 'nodeName') };
  if ((o.status?.observedGeneration ?? -1) < w.generation) return undefined;
  const c = o.status?.conditions?.find((x) => x.type === 'Registered');
  if (c?.status === 'True') return { done: o };
  if (c?.status === 'False' && c.reason === REGISTRATION_FAILED) {
    return { fail: new ShimError(422, `the fake cluster refused node ${o.spec.nodeName}: ${c.message}`, 'body') };
  }
  return undefined;
}

/**
 * The fake cluster refused what the shim wrote (a rule the shim's own
 * validation does not know): put the FakeNode back, so a refused request
 * leaves nothing behind. A replaced spec goes back only if nobody changed it
 * since (uid and generation tests).
 */
async function undo(ctx: ShimContext, w: Written, deadline: Deadline): Promise<boolean> {
  const doing = `putting FakeNode ${w.key} back after the fake cluster refused it`;
  if (!w.undo) return false;
  try {
    if ('delete' in w.undo) {
      // No uid precondition: the embedded management API answers a DELETE with a body 400 (after deleting).
      await deadline.race(doing, ctx.client.delete(w.path));
    } else {
      const patch = [
        { op: 'test', path: '/metadata/uid', value: w.uid },
        { op: 'test', path: '/metadata/generation', value: w.generation },
        { op: 'add', path: '/spec', value: w.undo.spec },
      ];
      await deadline.race(doing, ctx.client.patch(w.path, 'json', patch));
    }
    return true;
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message, key: w.key }, 'could not put the refused FakeNode back; it keeps the refused spec');
    return false;
  }
}
