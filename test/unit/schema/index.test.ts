import { expect } from 'chai';
import {
  fieldAt,
  jsonField,
  kindsInSchema,
  messageType,
  patchMetaAt,
  typeNameFor,
  typeSchemaFile,
  typeSchemaFor,
} from '../../../src/simulator/schema/index.js';

describe('Kubernetes type schema', () => {
  it('maps every kind the simulator must decode to its message type', () => {
    const expected: Array<[string, string, string]> = [
      ['v1', 'Pod', 'io.k8s.api.core.v1.Pod'],
      ['v1', 'PodList', 'io.k8s.api.core.v1.PodList'],
      ['v1', 'Binding', 'io.k8s.api.core.v1.Binding'],
      ['events.k8s.io/v1', 'Event', 'io.k8s.api.events.v1.Event'],
      ['coordination.k8s.io/v1', 'Lease', 'io.k8s.api.coordination.v1.Lease'],
      ['apps/v1', 'ControllerRevision', 'io.k8s.api.apps.v1.ControllerRevision'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'io.k8s.api.rbac.v1.ClusterRoleBinding'],
      ['policy/v1', 'Eviction', 'io.k8s.api.policy.v1.Eviction'],
      ['storage.k8s.io/v1', 'VolumeAttachment', 'io.k8s.api.storage.v1.VolumeAttachment'],
      ['certificates.k8s.io/v1', 'CertificateSigningRequest', 'io.k8s.api.certificates.v1.CertificateSigningRequest'],
      ['discovery.k8s.io/v1', 'EndpointSlice', 'io.k8s.api.discovery.v1.EndpointSlice'],
      [
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
      ],
      ['meta.k8s.io/v1', 'DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
      ['apps/v1', 'DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
    ];
    for (const [apiVersion, kind, name] of expected) {
      expect(typeNameFor(apiVersion, kind), `${apiVersion} ${kind}`).to.equal(name);
      expect(typeSchemaFor(apiVersion, kind)?.name).to.equal(name);
    }
    expect(kindsInSchema()).to.deep.include({ apiVersion: 'v1', kind: 'Secret' });
  });

  it('does not know kinds outside the schema, nor Object.prototype names', () => {
    expect(typeSchemaFor('autoscaling/v2', 'HorizontalPodAutoscaler')).to.equal(undefined);
    expect(typeSchemaFor('v1', 'constructor')).to.equal(undefined);
    expect(typeNameFor('__proto__', 'toString')).to.equal(undefined);
    expect(typeNameFor('constructor', 'name')).to.equal(undefined);
    expect(typeSchemaFor('example.com/v1', 'Widget')).to.equal(undefined);
  });

  it('records where it was generated from', () => {
    expect(typeSchemaFile().generatedFrom['k8s.io/api']).to.match(/^v0\.\d+\.\d+$/);
  });

  it('describes fields with protobuf number, type and Go JSON flags', () => {
    const container = messageType('io.k8s.api.core.v1.Container')!;
    expect(jsonField(container, 'name')).to.include({ number: 1, type: 'string' });
    expect(jsonField(container, 'ports')).to.include({
      number: 6,
      type: 'message',
      ref: 'io.k8s.api.core.v1.ContainerPort',
      repeated: true,
      omitempty: true,
    });
    const secret = typeSchemaFor('v1', 'Secret')!;
    expect(jsonField(secret, 'data')).to.include({ type: 'map', key: 'string', value: 'bytes' });
    expect(jsonField(secret, 'immutable')).to.include({ type: 'bool', pointer: true });
  });

  it('flattens inline (embedded) messages the way JSON does: Volume.configMap, Probe.httpGet', () => {
    const volume = messageType('io.k8s.api.core.v1.Volume')!;
    expect(jsonField(volume, 'configMap')?.ref).to.equal('io.k8s.api.core.v1.ConfigMapVolumeSource');
    const probe = messageType('io.k8s.api.core.v1.Probe')!;
    expect(jsonField(probe, 'httpGet')?.ref).to.equal('io.k8s.api.core.v1.HTTPGetAction');
    expect(jsonField(probe, 'periodSeconds')?.type).to.equal('int32');
  });

  it('marks types with a special JSON form', () => {
    expect(messageType('io.k8s.apimachinery.pkg.apis.meta.v1.Time')?.format).to.equal('time');
    expect(messageType('io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime')?.format).to.equal('micro-time');
    expect(messageType('io.k8s.apimachinery.pkg.api.resource.Quantity')?.format).to.equal('quantity');
    expect(messageType('io.k8s.apimachinery.pkg.util.intstr.IntOrString')?.format).to.equal('int-or-string');
    expect(messageType('io.k8s.apimachinery.pkg.runtime.RawExtension')?.format).to.equal('raw-json');
    expect(messageType('io.k8s.api.certificates.v1.ExtraValue')?.format).to.equal('items');
  });

  describe('patchMetaAt', () => {
    it('gives merge by name for containers, through a Deployment pod template', () => {
      expect(patchMetaAt('v1', 'Pod', ['spec', 'containers'])).to.deep.equal({ strategy: 'merge', mergeKey: 'name' });
      expect(patchMetaAt('apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers'])).to.deep.equal({
        strategy: 'merge',
        mergeKey: 'name',
      });
    });

    it('walks into list items, with or without an index segment', () => {
      const expected = { strategy: 'merge', mergeKey: 'containerPort' };
      expect(patchMetaAt('v1', 'Pod', ['spec', 'containers', 'ports'])).to.deep.equal(expected);
      expect(patchMetaAt('v1', 'Pod', ['spec', 'containers', '0', 'ports'])).to.deep.equal(expected);
      expect(patchMetaAt('v1', 'Pod', ['spec', 'containers', 'env'])).to.deep.equal({ strategy: 'merge', mergeKey: 'name' });
    });

    it('reports retainKeys strategies (Pod volumes, Deployment strategy)', () => {
      expect(patchMetaAt('v1', 'Pod', ['spec', 'volumes'])).to.deep.equal({
        strategy: 'merge,retainKeys',
        mergeKey: 'name',
      });
      expect(patchMetaAt('apps/v1', 'Deployment', ['spec', 'strategy'])).to.deep.equal({ strategy: 'retainKeys' });
    });

    it('covers metadata: finalizers merge, ownerReferences merge by uid', () => {
      expect(patchMetaAt('v1', 'ConfigMap', ['metadata', 'finalizers'])).to.deep.equal({ strategy: 'merge' });
      expect(patchMetaAt('v1', 'ConfigMap', ['metadata', 'ownerReferences'])).to.deep.equal({
        strategy: 'merge',
        mergeKey: 'uid',
      });
    });

    it('gives {} for a known field without patch metadata, including map values', () => {
      expect(patchMetaAt('v1', 'Pod', ['spec', 'tolerations'])).to.deep.equal({});
      expect(patchMetaAt('v1', 'Pod', ['metadata', 'labels', 'app'])).to.deep.equal({});
      expect(patchMetaAt('v1', 'Pod', ['spec', 'containers', 'resources', 'limits', 'cpu'])).to.deep.equal({});
    });

    it('walks through maps of messages', () => {
      // CRD schema properties are a map of JSONSchemaProps.
      const path = ['spec', 'versions', 'schema', 'openAPIV3Schema', 'properties', 'spec', 'required'];
      expect(fieldAt('apiextensions.k8s.io/v1', 'CustomResourceDefinition', path)).to.include({ type: 'string', repeated: true });
    });

    it('gives undefined for paths outside the schema', () => {
      expect(patchMetaAt('v1', 'Pod', ['spec', 'noSuchField'])).to.equal(undefined);
      expect(patchMetaAt('v1', 'Pod', ['spec', 'nodeName', 'deeper'])).to.equal(undefined);
      expect(patchMetaAt('example.com/v1', 'Widget', ['spec'])).to.equal(undefined);
      expect(patchMetaAt('v1', 'Pod', [])).to.equal(undefined);
    });
  });
});
