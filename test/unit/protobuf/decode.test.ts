import { expect } from 'chai';
import { decodeKubernetesProtobuf, isProtobufKnown, PROTOBUF_CONTENT_TYPE } from '../../../src/simulator/protobuf/decode.js';
import { clientGoEncode, dropNulls, ensurePbencode, PBENCODE_BUILD_TIMEOUT_MS } from './client-go.js';
import * as fixtures from './fixtures.js';

/**
 * The decoder turns the exact bytes client-go sends into the JSON client-go
 * itself produces for the same object (after the one normalization written
 * down in dropNulls: client-go's null-valued properties are dropped).
 */
describe('decodeKubernetesProtobuf on real client-go request bodies', function () {
  before(function () {
    this.timeout(PBENCODE_BUILD_TIMEOUT_MS);
    ensurePbencode();
  });

  function expectSameAsClientGo(object: object, options: { groupVersion?: string } = {}): Record<string, unknown> {
    const { protobuf, json } = clientGoEncode(object, options);
    const decoded = decodeKubernetesProtobuf(protobuf);
    expect(decoded).to.deep.equal(dropNulls(json));
    return decoded;
  }

  it('names the protobuf media type client-go sends', () => {
    expect(PROTOBUF_CONTENT_TYPE).to.equal('application/vnd.kubernetes.protobuf');
  });

  it('decodes a Secret: []byte values become standard base64, a false pointer bool is kept', () => {
    const decoded = expectSameAsClientGo(fixtures.secretWithBinaryData);
    expect(decoded['apiVersion']).to.equal('v1');
    expect(decoded['kind']).to.equal('Secret');
    expect((decoded['data'] as Record<string, string>)['value']).to.equal(fixtures.secretWithBinaryData.data.value);
    expect(decoded['immutable']).to.equal(false);
  });

  it('decodes a ConfigMap with binaryData, ownerReferences and managedFields (FieldsV1 as JSON)', () => {
    const decoded = expectSameAsClientGo(fixtures.configMap);
    const meta = decoded['metadata'] as { managedFields: Array<{ fieldsV1: unknown }>; generation: number };
    expect(meta.managedFields[0]!.fieldsV1).to.deep.equal({ 'f:data': { 'f:ClusterConfiguration': {} } });
    expect(meta.generation).to.equal(2 ** 40);
  });

  it('keeps a ConfigMap key named "__proto__" as data, as JSON.parse does', () => {
    const sent = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    const { protobuf } = clientGoEncode({ apiVersion: 'v1', kind: 'ConfigMap', data: sent });
    const data = decodeKubernetesProtobuf(protobuf)['data'] as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).to.equal(Object.prototype);
    expect(Object.keys(data)).to.have.members(['__proto__', 'a']);
    expect(data).to.deep.equal(sent);
  });

  it('decodes a Node with status: condition times, capacity quantities, addresses, nodeInfo, taints', () => {
    const decoded = expectSameAsClientGo(fixtures.nodeWithStatus);
    const status = decoded['status'] as { capacity: Record<string, string>; conditions: Array<Record<string, unknown>> };
    expect(status.capacity['memory']).to.equal('16Gi');
    expect(status.conditions[0]!['lastHeartbeatTime']).to.equal('2024-01-02T03:04:05Z');
    // The Unix epoch is a real time, not the zero time.
    expect(status.conditions[0]!['lastTransitionTime']).to.equal('1970-01-01T00:00:00Z');
  });

  it('decodes a full Pod: probes with IntOrString ports, env, volumes, tolerations, securityContext, status', () => {
    const decoded = expectSameAsClientGo(fixtures.fullPod);
    const spec = decoded['spec'] as { containers: Array<Record<string, unknown>>; priority: number };
    expect((spec.containers[0]!['livenessProbe'] as { httpGet: { port: unknown } }).httpGet.port).to.equal('http');
    expect((spec.containers[0]!['readinessProbe'] as { tcpSocket: { port: unknown } }).tcpSocket.port).to.equal(8080);
    expect(spec.priority).to.equal(-5);
  });

  it('decodes a Deployment: maxSurge "25%" stays a string, maxUnavailable 0 stays a number', () => {
    const decoded = expectSameAsClientGo(fixtures.deployment);
    const rolling = (decoded['spec'] as { strategy: { rollingUpdate: Record<string, unknown> } }).strategy.rollingUpdate;
    expect(rolling).to.deep.equal({ maxSurge: '25%', maxUnavailable: 0 });
  });

  it('decodes a ClusterRole with aggregationRule and a ClusterRoleBinding', () => {
    expectSameAsClientGo(fixtures.clusterRole);
    expectSameAsClientGo(fixtures.clusterRoleBinding);
  });

  it('decodes a Role and a RoleBinding', () => {
    expectSameAsClientGo(fixtures.role);
    expectSameAsClientGo(fixtures.roleBinding);
  });

  it('decodes a Lease: MicroTime keeps six fractional digits', () => {
    const decoded = expectSameAsClientGo(fixtures.lease);
    const spec = decoded['spec'] as Record<string, unknown>;
    expect(spec['renewTime']).to.equal('2024-01-02T03:04:05.123456Z');
    expect(spec['acquireTime']).to.equal('2024-01-02T03:04:05.000000Z');
    expect(spec['leaseTransitions']).to.equal(0);
  });

  it('decodes a policy/v1 Eviction with its deleteOptions', () => {
    const decoded = expectSameAsClientGo(fixtures.eviction);
    expect((decoded['deleteOptions'] as Record<string, unknown>)['gracePeriodSeconds']).to.equal(0);
  });

  it('decodes DeleteOptions in the group version the client deletes in (v1, apps/v1, policy/v1)', () => {
    for (const groupVersion of ['v1', 'apps/v1', 'policy/v1']) {
      const decoded = expectSameAsClientGo(fixtures.deleteOptions, { groupVersion });
      expect(decoded).to.include({ apiVersion: groupVersion, kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
    }
  });

  it('decodes PodDisruptionBudgets: minAvailable percent, maxUnavailable int, a map of times', () => {
    const decoded = expectSameAsClientGo(fixtures.podDisruptionBudget);
    expect((decoded['status'] as { disruptedPods: unknown }).disruptedPods).to.deep.equal({ 'etcd-cp1': '2024-01-02T03:04:05Z' });
    expectSameAsClientGo(fixtures.podDisruptionBudgetWithMaxUnavailable);
  });

  it('decodes a Service with int and named targetPorts', () => {
    expectSameAsClientGo(fixtures.service);
  });

  it('decodes a ControllerRevision: the RawExtension data is the embedded JSON', () => {
    const decoded = expectSameAsClientGo(fixtures.controllerRevision);
    expect(decoded['data']).to.deep.equal(fixtures.controllerRevision.data);
  });

  it('decodes a CertificateSigningRequest: request bytes as base64, extra as a map of string lists', () => {
    const decoded = expectSameAsClientGo(fixtures.certificateSigningRequest);
    expect((decoded['spec'] as { extra: unknown }).extra).to.deep.equal({
      'authentication.kubernetes.io/credential-id': ['JTI=1'],
      empty: [],
    });
  });

  it('decodes core/v1 and events.k8s.io/v1 Events with MicroTime eventTime and series', () => {
    expectSameAsClientGo(fixtures.coreEvent);
    expectSameAsClientGo(fixtures.eventsV1Event);
  });

  it('decodes an EndpointSlice and a StatefulSet with volumeClaimTemplates', () => {
    expectSameAsClientGo(fixtures.endpointSlice);
    expectSameAsClientGo(fixtures.statefulSet);
  });

  it('decodes a CustomResourceDefinition: schema-or-bool, schema-or-array, raw JSON defaults, doubles', () => {
    const decoded = expectSameAsClientGo(fixtures.customResourceDefinition);
    interface JsonSchema {
      properties: Record<string, JsonSchema>;
      [keyword: string]: unknown;
    }
    const spec = decoded['spec'] as { versions: Array<{ schema: { openAPIV3Schema: JsonSchema } }> };
    const props = spec.versions[0]!.schema.openAPIV3Schema.properties['spec']!.properties;
    expect(props['free']!['additionalProperties']).to.equal(false);
    expect(props['extra']!['additionalProperties']).to.deep.equal({ type: 'string' });
    expect(props['tags']!['items']).to.deep.equal({ type: 'string' });
    expect(props['replicas']).to.include({ default: 1, maximum: 10.5, minimum: 0 });
  });

  it('decodes a PodList with its items and list metadata', () => {
    expectSameAsClientGo(fixtures.podList);
  });

  it('knows which kinds it can decode', () => {
    expect(isProtobufKnown('v1', 'Pod')).to.equal(true);
    expect(isProtobufKnown('apps/v1', 'DeleteOptions')).to.equal(true);
    expect(isProtobufKnown('meta.k8s.io/v1', 'DeleteOptions')).to.equal(true);
    expect(isProtobufKnown('autoscaling/v2', 'HorizontalPodAutoscaler')).to.equal(false);
    expect(isProtobufKnown('v1', 'toString')).to.equal(false);
  });
});
