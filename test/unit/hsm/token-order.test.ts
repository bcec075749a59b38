import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareTokens, inListingOrder, type OrderedToken } from '../../../main/hsm/token-order.ts';
import type { TokenInfo } from '../../../main/hsm/token.ts';

const SC_HSM = 'SmartCard-HSMs in PC/SC readers';
const SOFTHSM = 'PKCS#11 module libsofthsm2.so';
const OPENSC = 'PKCS#11 module opensc-pkcs11.so';

function token(source: string, fields: Partial<TokenInfo>): OrderedToken {
  return {
    source,
    info: {
      backend: source === SC_HSM ? 'sc-hsm' : 'pkcs11', virtual: false, label: 'Token', serial: '0001', model: 'm', manufacturer: 'x', reader: 'Reader 00 00',
      pinState: { initialized: true, countLow: false, finalTry: false, locked: false }, loggedIn: false, flags: [], ...fields,
    },
  };
}

function unopenable(source: string, reader: string): OrderedToken {
  return token(source, { label: `Card in ${reader}`, serial: '', reader, flags: ['unopenable'], error: { code: 'CARD_ERROR', message: 'cannot be read' } });
}

const names = (tokens: readonly OrderedToken[]): string[] => tokens.map((t) => `${t.info.label}/${t.info.serial}`);

/** Every order of the list: the listing order must come out of each. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('the token listing order', () => {
  it('lists SmartCard-HSMs by label whatever order their readers report them in', () => {
    const ca = token(SC_HSM, { label: 'CA HSM', serial: 'DECM0200001', reader: 'Identiv uTrust 02 00' });
    const backup = token(SC_HSM, { label: 'Backup HSM', serial: 'DECM0200002', reader: 'Identiv uTrust 00 00' });
    const custodian = token(SC_HSM, { label: 'Custodian 1', serial: 'DECM0200003', reader: 'Identiv uTrust 01 00' });
    for (const reported of permutations([ca, backup, custodian])) {
      assert.deepEqual(names(inListingOrder(reported)), ['Backup HSM/DECM0200002', 'CA HSM/DECM0200001', 'Custodian 1/DECM0200003']);
    }
  });

  it('keeps a token at its place when it is logged in, has spent PIN tries or is blocked', () => {
    const tokens = ['Alpha', 'Bravo', 'Charlie', 'Delta'].map((label, i) => token(SC_HSM, { label, serial: `S${i}` }));
    const before = names(inListingOrder(tokens));
    const changed = tokens.map((t, i) => ({
      ...t,
      info: { ...t.info, loggedIn: i === 3, pinState: { initialized: true, countLow: i === 1, finalTry: i === 2, locked: i === 0, triesLeft: i } },
    }));
    assert.deepEqual(names(inListingOrder([...changed].reverse())), before);
  });

  it('keeps a token at its place when it comes back in another reader', () => {
    const a = token(SC_HSM, { label: 'Custodian A', serial: 'S1', reader: 'Nitrokey HSM 00 00' });
    const b = token(SC_HSM, { label: 'Custodian B', serial: 'S2', reader: 'Nitrokey HSM 01 00' });
    const aReplugged = { ...a, info: { ...a.info, reader: 'Nitrokey HSM 02 00' } };
    assert.deepEqual(names(inListingOrder([b, aReplugged])), names(inListingOrder([a, b])));
  });

  it('lists SoftHSM2 tokens by label, not by the slot number SoftHSM derives from the serial', () => {
    // As softhsm2-util --show-slots lists them after Alpha, Bravo and Charlie were initialised in that order.
    const slots = [
      token(SOFTHSM, { label: 'Alpha', serial: '185b3c17a4e2f0c1', reader: 'SoftHSM slot ID 0x185b3c17' }),
      token(SOFTHSM, { label: 'Charlie', serial: '36d4c5d3b9a1f277', reader: 'SoftHSM slot ID 0x36d4c5d3' }),
      token(SOFTHSM, { label: 'Bravo', serial: '3c5a1ff3c09e8d24', reader: 'SoftHSM slot ID 0x3c5a1ff3' }),
    ];
    assert.deepEqual(inListingOrder(slots).map((t) => t.info.label), ['Alpha', 'Bravo', 'Charlie']);
  });

  it('reads numbers in labels as a person does, and case does not split alike labels apart', () => {
    const labels = ['Custodian 10', 'custodian 2', 'Custodian 1', 'CUSTODIAN 3'];
    const sorted = inListingOrder(labels.map((label, i) => token(SC_HSM, { label, serial: `S${i}` }))).map((t) => t.info.label);
    assert.deepEqual(sorted, ['Custodian 1', 'custodian 2', 'CUSTODIAN 3', 'Custodian 10']);
  });

  it('tells apart tokens of one label by serial, and cards of one serial by device key', () => {
    const tokens = [
      token(SC_HSM, { label: 'SmartCard-HSM', serial: 'ESPICOHSMTR', deviceKeySha256: 'bb'.repeat(32) }),
      token(SC_HSM, { label: 'SmartCard-HSM', serial: 'DECM0200009' }),
      token(SC_HSM, { label: 'SmartCard-HSM', serial: 'ESPICOHSMTR', deviceKeySha256: 'aa'.repeat(32) }),
    ];
    for (const reported of permutations(tokens)) {
      assert.deepEqual(inListingOrder(reported).map((t) => `${t.info.serial}:${t.info.deviceKeySha256?.slice(0, 2) ?? ''}`),
        ['DECM0200009:', 'ESPICOHSMTR:aa', 'ESPICOHSMTR:bb']);
    }
  });

  it('puts native SmartCard-HSMs first, then PKCS#11 tokens grouped by module file name', () => {
    const tokens = [
      token(SOFTHSM, { label: 'Aardvark', serial: '1' }),
      token(OPENSC, { label: 'SmartCard-HSM (UserPIN)', serial: 'DECM0200001' }),
      token(SC_HSM, { label: 'Zulu', serial: 'DECM0200002' }),
      token(OPENSC, { label: 'Aardvark', serial: '2' }),
    ];
    assert.deepEqual(inListingOrder(tokens).map((t) => `${t.source}: ${t.info.label}`), [
      `${SC_HSM}: Zulu`,
      `${SOFTHSM}: Aardvark`,
      `${OPENSC}: Aardvark`,
      `${OPENSC}: SmartCard-HSM (UserPIN)`,
    ]);
  });

  it('lists a card that cannot be opened after the usable tokens of its backend, by reader name', () => {
    const tokens = [
      unopenable(SC_HSM, 'Reader 01 00'),
      token(SC_HSM, { label: 'Zulu', serial: 'S9', reader: 'Reader 02 00' }),
      unopenable(SC_HSM, 'Reader 00 00'),
      token(SOFTHSM, { label: 'Alpha', serial: '1' }),
      token(SC_HSM, { label: 'Alpha', serial: 'S1', reader: 'Reader 03 00' }),
    ];
    for (const reported of permutations(tokens)) {
      assert.deepEqual(inListingOrder(reported).map((t) => `${t.source === SC_HSM ? 'sc-hsm' : 'softhsm'} ${t.info.label}`),
        ['sc-hsm Alpha', 'sc-hsm Zulu', 'sc-hsm Card in Reader 00 00', 'sc-hsm Card in Reader 01 00', 'softhsm Alpha']);
    }
  });

  it('orders every pair one way only, so no two workstations list one set differently', () => {
    const tokens = [
      token(SC_HSM, { label: 'ca', serial: '1' }), token(SC_HSM, { label: 'CA', serial: '1' }), token(SC_HSM, { label: 'CA', serial: '2' }),
      unopenable(SC_HSM, 'R'), token(SOFTHSM, { label: 'ca', serial: '1' }),
    ];
    for (const a of tokens) {
      for (const b of tokens) {
        if (a === b) continue;
        assert.notEqual(compareTokens(a, b), 0, `${a.info.label}/${a.info.serial} and ${b.info.label}/${b.info.serial} are ordered`);
        assert.equal(Math.sign(compareTokens(a, b)), -Math.sign(compareTokens(b, a)));
      }
    }
  });

  it('leaves the list it is given as it was', () => {
    const tokens = [token(SC_HSM, { label: 'B' }), token(SC_HSM, { label: 'A' })];
    inListingOrder(tokens);
    assert.deepEqual(tokens.map((t) => t.info.label), ['B', 'A']);
  });
});
