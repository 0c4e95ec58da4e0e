import { expect } from 'chai';
import { decodeKubernetesProtobuf } from '../../../src/simulator/protobuf/decode.js';
import { encodeKubernetesProtobuf, encodeWatchEventProtobuf } from '../../../src/simulator/protobuf/encode.js';
import { clientGoEncode, ensurePbencode, PBENCODE_BUILD_TIMEOUT_MS } from './client-go.js';
import * as fixtures from './fixtures.js';

/**
 * The encoder writes what client-go writes: for every fixture, the bytes of
 * the object client-go reports holding equal client-go's own encoding of it,
 * byte for byte (field order, zero values of non-pointer fields, sorted map
 * keys, the k8s\0 envelope).
 */
describe('encodeKubernetesProtobuf writes the bytes client-go writes', function () {
  before(function () {
    this.timeout(PBENCODE_BUILD_TIMEOUT_MS);
    ensurePbencode();
  });

  const cases: [string, Record<string, unknown>][] = Object.entries(fixtures)
    .filter(([, v]) => typeof v === 'object' && v !== null && 'apiVersion' in v && 'kind' in v && (v as { kind: string }).kind !== 'DeleteOptions')
    .map(([name, v]) => [name, v as Record<string, unknown>]);

  for (const [name, fixture] of cases) {
    it(`${name} (${String(fixture.kind)})`, () => {
      const { protobuf, json } = clientGoEncode(fixture);
      const ours = encodeKubernetesProtobuf(json, String(json.apiVersion), String(json.kind));
      expect(ours.toString('hex')).to.equal(protobuf.toString('hex'));
    });
  }

  it('frames a watch event as a bare WatchEvent around the enveloped object', () => {
    const object = encodeKubernetesProtobuf(fixtures.lease as Record<string, unknown>, 'coordination.k8s.io/v1', 'Lease');
    const event = encodeWatchEventProtobuf('ADDED', object);
    // WatchEvent{1: "ADDED", 2: RawExtension{1: object}}
    expect(event.subarray(0, 7).toString('latin1')).to.equal('\n\u0005ADDED');
    expect(decodeKubernetesProtobuf(event.subarray(event.indexOf(object)))).to.deep.include({ kind: 'Lease' });
  });
});
