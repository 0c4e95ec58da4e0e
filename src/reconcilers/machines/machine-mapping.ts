import { clusterNameOf, isInfrastructureReady, roleOf, type Machine } from '../shared/capi-objects.js';
import { ownerIn, REASON, type NodeDecision } from '../shared/node-decision.js';

/**
 * CAPI Machine → FakeNode, for any infrastructure provider: once the
 * provider has made the "machine" (infrastructure ready) and told CAPI its
 * providerID, a kubelet would register a Node with that providerID; the
 * FakeNode makes the fake cluster show it.
 */

export interface MachineInputs {
  /** undefined: the Machine is gone. */
  readonly machine?: Machine;
  /** Whether the Machine's cluster opted in (FakeAPIServer spec.machineNodes or the Cluster annotation). */
  readonly optedIn: boolean;
}

export function decideMachineNode({ machine, optedIn }: MachineInputs): NodeDecision {
  if (!machine) return { kind: 'absent', why: 'the Machine is gone' };
  if (machine.metadata.deletionTimestamp) return { kind: 'absent', why: 'the Machine is being deleted' };
  if (!optedIn) return { kind: 'absent', why: 'its cluster did not opt in to machine nodes' };
  if (!isInfrastructureReady(machine)) return { kind: 'absent', why: 'its infrastructure is not ready yet' };
  const clusterName = clusterNameOf(machine);
  if (!clusterName) return { kind: 'wait', problem: { reason: REASON.noClusterName, message: 'the Machine has no spec.clusterName' } };
  const providerID = machine.spec?.providerID;
  if (!providerID) {
    return {
      kind: 'absent',
      why: 'no providerID',
      problem: { reason: REASON.missingProviderID, message: 'the infrastructure is ready but spec.providerID is empty: CAPI could not match a Node to this Machine, so it gets no FakeNode' },
    };
  }
  const namespace = machine.metadata.namespace ?? 'default';
  const version = machine.spec?.version;
  const owner = ownerIn(namespace, machine);
  return {
    kind: 'present',
    node: {
      namespace,
      name: machine.metadata.name,
      spec: { clusterName, nodeName: machine.metadata.name, providerID, ...(version ? { kubernetesVersion: version } : {}), role: roleOf(machine) },
      ...(owner ? { owner } : {}),
    },
  };
}
