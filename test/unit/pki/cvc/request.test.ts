import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CVC_OID, decodeCvCertificate, decodeCvcChain, decodeCvRequest, encodeAuthenticatedRequest, outerSignedBytes, signCvc, verifyCvcChain, verifyCvRequest,
} from '../../../../main/pki/cvc/cvc.ts';
import { makeDeviceChain, makeKeyGenerationRequest } from '../../../support/cvc-chain.ts';
import { ecKey, issue } from './support.ts';

describe('verifyCvRequest', () => {
  it('proves possession for a card-shaped request, and its origin only with the device key of its EF 2F02', () => {
    const chain = makeDeviceChain();
    const req = decodeCvRequest(makeKeyGenerationRequest(chain, { curve: 'secp256k1' }).raw);
    assert.deepEqual(verifyCvRequest(req), { innerSignatureValid: true });
    const deviceKey = verifyCvcChain(decodeCvcChain(chain.ef2f02), [chain.srca]).publicKey;
    assert.deepEqual(verifyCvRequest(req, deviceKey), { innerSignatureValid: true, outerSignatureValid: true });
    // The request's own key did not make the outer signature, nor did another device's.
    assert.equal(verifyCvRequest(req, req.inner.body.publicKey).outerSignatureValid, false);
    const other = makeDeviceChain();
    assert.equal(verifyCvRequest(req, verifyCvcChain(decodeCvcChain(other.ef2f02), [other.srca]).publicKey).outerSignatureValid, false);
  });

  it('checks the outer signature with the device key resolved from the device chain', () => {
    const oid = CVC_OID['id-TA-ECDSA-SHA-256'];
    const root = ecKey('brainpoolP256r1'); const device = ecKey('brainpoolP256r1'); const key = ecKey('P-256');
    const rootCert = decodeCvCertificate(issue({ car: 'UTSRCACC100001', chr: 'UTSRCACC100001', key: root.publicKey, keyOid: oid, withDomainParameters: true, signer: root.privateKey, signOid: oid }).raw);
    const deviceCert = decodeCvCertificate(issue({ car: 'UTSRCACC100001', chr: 'UTDEV0000100000', key: device.publicKey, keyOid: oid, withDomainParameters: false, signer: root.privateKey, signOid: oid }).raw);
    const deviceKey = verifyCvcChain([deviceCert], [rootCert]).publicKey;
    const inner = issue({ car: 'UTCA00001', chr: 'UTDEV0000100001', key: key.publicKey, keyOid: oid, withDomainParameters: true, signer: key.privateKey, signOid: oid, dates: false });
    const raw = encodeAuthenticatedRequest(inner.raw, 'UTDEV0000100000', signCvc(outerSignedBytes(inner.raw, 'UTDEV0000100000'), device.privateKey, oid));
    assert.deepEqual(verifyCvRequest(decodeCvRequest(raw), deviceKey), { innerSignatureValid: true, outerSignatureValid: true });
    const forged = encodeAuthenticatedRequest(inner.raw, 'UTDEV0000100000', signCvc(outerSignedBytes(inner.raw, 'UTDEV0000100000'), ecKey('brainpoolP256r1').privateKey, oid));
    assert.deepEqual(verifyCvRequest(decodeCvRequest(forged), deviceKey), { innerSignatureValid: true, outerSignatureValid: false });
  });
});
