/**
 * The status an authenticated request's outer signature gets when it is not
 * a rehearsal or CardContact device chain: a device chain to a root Custos
 * does not know, and a renewal signed by a CV certificate this authority
 * already holds. Each status is what the screens and the CLI show.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  CVC_OID, cvcPublicKeyFromKeyObject, decodeCvCertificate, encodeAuthenticatedRequest, encodeCvCertificate, encodeCvcBody, outerSignedBytes, signCvc,
  type CvcBody,
} from '../../../main/pki/cvc/cvc.ts';
import { concatBytes } from '../../../main/pki/cvc/tlv.ts';
import { inspectCvcRequest } from '../../../main/cvc/import.ts';
import { codeOf, ECDSA_SHA256, plainRequest } from './support.ts';

const ROLE = { roleOid: CVC_OID['id-SC-HSM-role'], bits: Uint8Array.of(0x80) } as const;
const dates = { effectiveDate: new Date(Date.UTC(2024, 0, 1)), expirationDate: new Date(Date.UTC(2040, 0, 1)) };

function certify(body: CvcBody, issuerKey: KeyObject): Uint8Array {
  const bodyRaw = encodeCvcBody(body);
  return encodeCvCertificate(bodyRaw, signCvc(bodyRaw, issuerKey, ECDSA_SHA256));
}

function ecKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
}

/** A device certificate under a DICA under a root that is neither CardContact's nor the rehearsal one. */
function unknownRootDevice(): { deviceChr: string; deviceKey: KeyObject; chain: Uint8Array } {
  const root = ecKeyPair();
  const dica = ecKeyPair();
  const device = ecKeyPair();
  const dicaCert = certify({ cpi: 0, car: 'XXOTHERRT00001', chr: 'XXOTHERDI00001', chat: ROLE, publicKey: cvcPublicKeyFromKeyObject(dica.publicKey, ECDSA_SHA256, true), ...dates }, root.privateKey);
  const deviceChr = 'XXDEV0000100000';
  const deviceCert = certify({ cpi: 0, car: 'XXOTHERDI00001', chr: deviceChr, chat: ROLE, publicKey: cvcPublicKeyFromKeyObject(device.publicKey, ECDSA_SHA256, false), ...dates }, dica.privateKey);
  return { deviceChr, deviceKey: device.privateKey, chain: concatBytes(deviceCert, dicaCert) };
}

function signedOutside(innerRaw: Uint8Array, outerCar: string, key: KeyObject): Uint8Array {
  return encodeAuthenticatedRequest(innerRaw, outerCar, signCvc(outerSignedBytes(innerRaw, outerCar), key, ECDSA_SHA256));
}

describe('attestation status of an authenticated CV request', () => {
  it('says "unknown-root" for a device chain that ends at a root Custos does not know, with the device alone as its path', () => {
    const device = unknownRootDevice();
    const inner = plainRequest('XXDEV000100001');
    const seen = inspectCvcRequest(signedOutside(inner.raw, device.deviceChr, device.deviceKey), { deviceChain: device.chain });
    assert.equal(seen.attestation, 'unknown-root');
    assert.deepEqual(seen.attestationPath, [device.deviceChr]);
  });

  it('refuses an outer signature that the unknown-root device key did not make (CVC_OUTER_SIGNATURE_INVALID)', () => {
    const device = unknownRootDevice();
    const inner = plainRequest('XXDEV000100001');
    const forged = signedOutside(inner.raw, device.deviceChr, ecKeyPair().privateKey);
    assert.equal(codeOf(() => inspectCvcRequest(forged, { deviceChain: device.chain })), 'CVC_OUTER_SIGNATURE_INVALID');
  });

  it('says "authority" for a renewal signed by a CV certificate held here, and refuses one whose outer signature that key did not make', () => {
    const current = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const held = decodeCvCertificate(certify({
      cpi: 0, car: 'UTCVCA00001', chr: 'UTDVRENEW00001', chat: { roleOid: '0.4.0.127.0.7.3.1.2.2', bits: Uint8Array.of(0x80, 0, 0, 0, 0x03) },
      publicKey: cvcPublicKeyFromKeyObject(current.publicKey, ECDSA_SHA256, true), ...dates,
    }, current.privateKey));
    const renewal = plainRequest('UTDVRENEW00002', { car: 'UTCVCA00001' });
    const seen = inspectCvcRequest(signedOutside(renewal.raw, 'UTDVRENEW00001', current.privateKey), { known: [held] });
    assert.equal(seen.attestation, 'authority');
    assert.deepEqual(seen.attestationPath, ['UTDVRENEW00001']);
    const forged = signedOutside(renewal.raw, 'UTDVRENEW00001', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    assert.equal(codeOf(() => inspectCvcRequest(forged, { known: [held] })), 'CVC_OUTER_SIGNATURE_INVALID');
  });
});
