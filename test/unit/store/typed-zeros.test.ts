import { expect } from 'chai';
import fc from 'fast-check';
import { cloneObject } from '../../../src/simulator/store/object.js';
import { fillTypedZeros } from '../../../src/simulator/store/typed-zeros.js';
import { referenceFillTypedZeros } from './write-path-reference.js';
import { edited, edits, SEEDS } from './random-writes.js';

/** Go's zero values on written objects (what kube-apiserver's decoding into Go types adds). */
describe('typed zeros', () => {
  it('a Node gets the fields Go always writes, inside lists and nested structs too', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { conditions: [{ type: 'Ready', status: 'True' }], daemonEndpoints: {} } };
    fillTypedZeros(node, 'v1', 'Node');
    expect(node.status).to.deep.include({ daemonEndpoints: { kubeletEndpoint: { Port: 0 } } });
    expect(node.status.conditions[0]).to.deep.equal({ type: 'Ready', status: 'True', lastHeartbeatTime: null, lastTransitionTime: null });
  });

  it('fills exactly what looking at every field of every message fills, on random objects', () => {
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), edits, (seed, list) => {
        const { apiVersion, kind, object } = SEEDS[seed]!;
        // Copies: a decoded body shares no object between two places (the edits may).
        const lean = cloneObject(edited(object, list, false));
        const plain = cloneObject(lean);
        fillTypedZeros(lean, apiVersion, kind);
        referenceFillTypedZeros(plain, apiVersion, kind);
        expect(JSON.stringify(lean), 'the same fields, in the same order').to.equal(JSON.stringify(plain));
      }),
      { numRuns: 1_000 },
    );
  });
});
