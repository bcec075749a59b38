import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../../main/journal/canonical.ts';

describe('canonical JSON', () => {
  it('writes members sorted at every depth, without whitespace or undefined members', () => {
    const value = { b: 1, a: [{ z: 1, y: null, x: 'é "q"' }], c: undefined, d: { k: true } };
    assert.equal(canonicalJson(value), '{"a":[{"x":"é \\"q\\"","y":null,"z":1}],"b":1,"d":{"k":true}}');
  });

  it('gives the same text for the same members in any order', () => {
    assert.equal(canonicalJson({ serial: '01', caId: 'x', data: { n: 1, m: 2 } }), canonicalJson({ data: { m: 2, n: 1 }, caId: 'x', serial: '01' }));
  });

  it('sorts index-like keys as strings too, where JavaScript would list them first in numeric order', () => {
    assert.equal(canonicalJson({ b: 1, 10: 'ten', 2: 'two', a: { 3: 'x', '03': 'y' } }), '{"10":"ten","2":"two","a":{"03":"y","3":"x"},"b":1}');
  });

  it('refuses what JSON cannot hold faithfully', () => {
    for (const bad of [{ n: Number.NaN }, { n: Infinity }, [undefined], { f: () => 1 }, { b: 1n }]) {
      assert.throws(() => canonicalJson(bad), TypeError);
    }
  });
});
