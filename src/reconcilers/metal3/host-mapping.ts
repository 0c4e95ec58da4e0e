import { METAL3_UUID_LABEL } from '../../operator/api/v1alpha1.js';
import { clusterNameOf, ownerMachineRef, roleOf, type Machine } from '../shared/capi-objects.js';
import { ownerIn, REASON, type NodeDecision } from '../shared/node-decision.js';
import { consumerMetal3Machine, HOST_STATE, METAL3_MACHINE, type BareMetalHost, type Metal3Machine } from './metal3-objects.js';

/**
 * BareMetalHost (+ its Metal3Machine and owner Machine) → the FakeNode a
 * provisioned host would have become: the Node that kubeadm on the host
 * would have registered, named and labelled the way CAPM3 looks for it.
 */

/**
 * CAPM3's two providerID forms (baremetal/metal3machine_manager.go): the
 * current `metal3://<namespace>/<bmh>/<metal3machine>` it sets by default,
 * and the legacy `metal3://<bmh uid>` it still accepts on existing Nodes.
 */
export type ProviderIDFormat = 'namespaced' | 'legacy';
export const PROVIDER_ID_PREFIX = 'metal3://';

export function metal3ProviderID(format: ProviderIDFormat, host: BareMetalHost, m3m: Metal3Machine): string {
  return format === 'legacy' ? `${PROVIDER_ID_PREFIX}${host.metadata.uid}` : `${PROVIDER_ID_PREFIX}${m3m.metadata.namespace}/${host.metadata.name}/${m3m.metadata.name}`;
}

export interface HostInputs {
  /** undefined: the host is gone. */
  readonly host?: BareMetalHost;
  /** The Metal3Machine of the host's consumerRef, when it exists. */
  readonly metal3Machine?: Metal3Machine;
  /** The Metal3Machine's owner Machine, when it exists (the Machine CRD is optional). */
  readonly machine?: Machine;
  readonly providerIDFormat: ProviderIDFormat;
}

export function decideHostNode({ host, metal3Machine: m3m, machine, providerIDFormat }: HostInputs): NodeDecision {
  if (!host) return { kind: 'absent', why: 'the BareMetalHost is gone' };
  if (host.metadata.deletionTimestamp) return { kind: 'absent', why: 'the BareMetalHost is being deleted' };
  const state = host.status?.provisioning?.state ?? '';
  // Only a provisioned host runs an OS that could be a kubelet (CAPM3 waits for the same state).
  if (state !== HOST_STATE.provisioned) return { kind: 'absent', why: `the BareMetalHost is ${state || 'not provisioned yet'}` };
  const ref = host.spec?.consumerRef;
  if (!ref) {
    return {
      kind: 'absent',
      why: 'no consumer',
      problem: { reason: REASON.noConsumerRef, message: 'the host is provisioned but spec.consumerRef is empty: no Metal3Machine uses it, so it gets no FakeNode' },
    };
  }
  const consumer = consumerMetal3Machine(host);
  if (!consumer) {
    return {
      kind: 'absent',
      why: 'consumer is not a Metal3Machine',
      problem: { reason: REASON.unsupportedConsumer, message: `spec.consumerRef is ${ref.kind ?? '(no kind)'} ${ref.name ?? '(no name)'}; only a ${METAL3_MACHINE.kind} consumer gets a FakeNode` },
    };
  }
  if (!m3m) {
    return { kind: 'wait', problem: { reason: REASON.metal3MachineNotFound, message: `consumerRef names ${METAL3_MACHINE.kind} ${consumer.namespace}/${consumer.name}, which does not exist (yet)` } };
  }
  const machineRef = ownerMachineRef(m3m.metadata);
  // The Machine's name is the node name CAPI expects; without the Machine object, its owner reference still names it.
  const nodeName = machine?.metadata.name ?? machineRef?.name ?? m3m.metadata.name;
  const clusterName = (machine && clusterNameOf(machine)) ?? clusterNameOf(m3m);
  if (!clusterName) {
    return {
      kind: 'wait',
      problem: { reason: REASON.noClusterName, message: `neither the Machine ${nodeName} nor ${METAL3_MACHINE.kind} ${m3m.metadata.name} names a cluster (spec.clusterName or label cluster.x-k8s.io/cluster-name)` },
    };
  }
  const namespace = m3m.metadata.namespace ?? consumer.namespace;
  const version = machine?.spec?.version;
  const owner = ownerIn(namespace, host);
  return {
    kind: 'present',
    node: {
      namespace,
      name: nodeName,
      spec: {
        clusterName,
        nodeName,
        providerID: m3m.spec?.providerID || metal3ProviderID(providerIDFormat, host, m3m),
        // CAPM3 finds the Node of a host by this label when the Node has no providerID yet.
        ...(host.metadata.uid ? { uuid: host.metadata.uid, labels: { [METAL3_UUID_LABEL]: host.metadata.uid } } : {}),
        ...(version ? { kubernetesVersion: version } : {}),
        role: roleOf(machine ?? m3m),
      },
      ...(owner ? { owner } : {}),
    },
  };
}
