/**
 * A root and a subordinate CA made through the real planning and signing
 * path, with software signers standing in for tokens, for tests that need an
 * issuer.
 */
import type { KeySpec } from '../../../../main/hsm/token.ts';
import { parseCsrFile } from '../../../../main/pki/x509/csr.ts';
import { planIssuedCertificate, planRootCertificate, signTbs } from '../../../../main/pki/x509/issue.ts';
import { loadProfile, type Profile } from '../../../../main/pki/x509/profiles.ts';
import { newSerial } from '../../../../main/pki/x509/serial.ts';
import { softSigner, softSignerFromKey, type SoftSigner } from '../../../support/soft-signer.ts';
import { createPrivateKey } from 'node:crypto';
import { opensslRequest, type RequestKey } from './requests.ts';

export interface TestCa {
  readonly signer: SoftSigner;
  readonly certDer: Uint8Array;
}

export async function makeRoot(spec: KeySpec = { kind: 'ec', curve: 'P-384' }, now = new Date(), profile: Profile = loadProfile('root-ca')): Promise<TestCa> {
  const signer = softSigner(spec, 'test root');
  const plan = planRootCertificate({
    profile, subject: [{ type: 'C', value: 'DE' }, { type: 'O', value: 'Custos Test' }, { type: 'CN', value: 'Custos Test Root' }],
    signerSpki: signer.spki, spec, serial: newSerial(() => false), now,
  });
  return { signer, certDer: await signTbs(plan.linted, signer, plan.algorithm) };
}

const SPEC: Record<string, KeySpec> = {
  'rsa:2048': { kind: 'rsa', bits: 2048 }, 'rsa:3072': { kind: 'rsa', bits: 3072 }, 'rsa:4096': { kind: 'rsa', bits: 4096 },
  'P-256': { kind: 'ec', curve: 'P-256' }, 'P-384': { kind: 'ec', curve: 'P-384' }, 'P-521': { kind: 'ec', curve: 'P-521' },
};

/** A subordinate CA whose key came from `openssl req` (so it can sign as a SoftSigner too). */
export async function makeSubordinate(root: TestCa, key: RequestKey = 'P-256', now = new Date(), options: { pathLen?: number; validityDays?: number } = {}): Promise<TestCa> {
  const request = await opensslRequest(key, '/C=DE/O=Custos Test/CN=Custos Test Issuing CA');
  const [csr] = parseCsrFile(request.der);
  const plan = planIssuedCertificate({
    profile: loadProfile('subordinate-ca'), csr: csr!, issuerCertDer: root.certDer, issuerSpki: root.signer.spki,
    serial: newSerial(() => false), now, ...options,
  });
  const certDer = await signTbs(plan.linted, root.signer, plan.algorithm);
  return { signer: softSignerFromKey(createPrivateKey(request.keyPem), SPEC[key]!, 'test subordinate'), certDer };
}
