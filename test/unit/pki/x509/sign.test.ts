import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../../../main/hsm/token.ts';
import { parseCsrFile } from '../../../../main/pki/x509/csr.ts';
import { planIssuedCertificate, planRootCertificate, type CertificatePlan } from '../../../../main/pki/x509/issue.ts';
import { isLinted, type Linted } from '../../../../main/pki/x509/lint.ts';
import { customizeProfile, loadProfile } from '../../../../main/pki/x509/profiles.ts';
import { newSerial } from '../../../../main/pki/x509/serial.ts';
import { finishCertificate, signTbs, verifyIssued } from '../../../../main/pki/x509/sign.ts';
import { runTool } from '../../../support/openssl.ts';
import { softSigner, type SoftSigner } from '../../../support/soft-signer.ts';
import { makeRoot, type TestCa } from './chain.ts';
import { opensslRequest, toPem } from './requests.ts';

const code = (expected: string) => (e: unknown): boolean => (e as { code: string }).code === expected;

describe('signTbs and verifyIssued', () => {
  let root: TestCa;
  let plan: CertificatePlan;
  before(async () => {
    root = await makeRoot({ kind: 'ec', curve: 'P-384' });
    const [csr] = parseCsrFile((await opensslRequest('P-256', '/CN=sign.example.test', ['subjectAltName=DNS:sign.example.test'])).der);
    plan = planIssuedCertificate({ profile: loadProfile('tls-server'), csr: csr!, issuerCertDer: root.certDer, issuerSpki: root.signer.spki, serial: newSerial(() => false), now: new Date() });
  });

  it('signs exactly the linted bytes, even if the caller changes its copy afterwards', async () => {
    const original = plan.tbsDer.slice();
    plan.linted.tbsDer.fill(0);
    plan.tbsDer.fill(0);
    const cert = await signTbs(plan.linted, root.signer, plan.algorithm);
    assert.ok(Buffer.from(cert).includes(Buffer.from(original)));
    await verifyIssued(cert, root.signer.spki);
  });

  it('refuses a value that did not come from lint', async () => {
    const forged = { tbsDer: plan.tbsDer, tbs: plan.linted.tbs, spkiDer: plan.linted.spkiDer, findings: [] } as unknown as Linted;
    assert.equal(isLinted(forged), false);
    await assert.rejects(signTbs(forged, root.signer, plan.algorithm), code('LINT_FAILED'));
    assert.throws(() => finishCertificate(forged, new Uint8Array(64)), code('LINT_FAILED'));
  });

  it('refuses to sign with another algorithm than the TBS names', async () => {
    await assert.rejects(signTbs(plan.linted, root.signer, { scheme: 'ecdsa', hash: 'SHA-256' }), code('INPUT_INVALID'));
  });

  it('SIGNATURE_VERIFY_FAILED when the token returns a wrong signature, and nothing is returned', async () => {
    const other = softSigner({ kind: 'ec', curve: 'P-384' });
    const impostor: Signer = { ...root.signer, sign: (m, a) => other.sign(m, a) };
    await assert.rejects(signTbs(plan.linted, impostor, plan.algorithm), code('SIGNATURE_VERIFY_FAILED'));
  });

  it('verifyIssued refuses another key, a flipped signature byte and a changed TBS', async () => {
    const cert = await signTbs(plan.linted, root.signer, plan.algorithm);
    await assert.rejects(verifyIssued(cert, softSigner({ kind: 'ec', curve: 'P-384' }).spki), code('SIGNATURE_VERIFY_FAILED'));
    const flipped = cert.slice();
    flipped[flipped.length - 2]! ^= 0x01;
    await assert.rejects(verifyIssued(flipped, root.signer.spki), code('SIGNATURE_VERIFY_FAILED'));
    const changed = cert.slice();
    const at = Buffer.from(changed).indexOf('sign.example.test');
    changed[at] = 'x'.charCodeAt(0);
    await assert.rejects(verifyIssued(changed, root.signer.spki), code('SIGNATURE_VERIFY_FAILED'));
    await assert.rejects(verifyIssued(Uint8Array.of(1, 2, 3), root.signer.spki), code('SIGNATURE_VERIFY_FAILED'));
  });

  for (const scheme of ['pkcs1', 'pss'] as const) {
    it(`an RSA root signed with ${scheme} verifies here and in openssl`, async () => {
      const signer: SoftSigner = softSigner({ kind: 'rsa', bits: 3072 });
      const profile = customizeProfile(loadProfile('root-ca'), { signature: { scheme, hash: 'SHA-256' } });
      const rootPlan = planRootCertificate({ profile, subject: [{ type: 'CN', value: `RSA ${scheme} root` }], signerSpki: signer.spki, spec: signer.spec, serial: newSerial(() => false), now: new Date() });
      const cert = await signTbs(rootPlan.linted, signer, rootPlan.algorithm);
      await verifyIssued(cert, signer.spki);
      const pem = toPem('CERTIFICATE', cert);
      const verified = await runTool('openssl', ['verify', '-CAfile', 'root.pem', 'root.pem'], { files: { 'root.pem': pem } });
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      const text = await runTool('openssl', ['x509', '-in', 'root.pem', '-noout', '-text'], { files: { 'root.pem': pem } });
      assert.match(text.stdout, scheme === 'pss' ? /rsassaPss[\s\S]*Salt Length: 0x20/ : /sha256WithRSAEncryption/);
    });
  }
});
