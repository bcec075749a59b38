import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, BasicConstraints, KeyIdentifier, KeyUsage, KeyUsageFlags, Name, Time, Version, type TBSCertificate } from '@peculiar/asn1-x509';
import { OID } from '../../../../main/pki/oids.ts';
import { algorithmIdentifierFor, signAlgorithmFor } from '../../../../main/pki/x509/algorithms.ts';
import { readIssuer, type IssuerInfo } from '../../../../main/pki/x509/issuer.ts';
import { assertLintClean, buildLinted, lintForSigning, lintTbs } from '../../../../main/pki/x509/lint.ts';
import { nameFromAttributes } from '../../../../main/pki/x509/names.ts';
import { loadProfile, type Profile } from '../../../../main/pki/x509/profiles.ts';
import { buildTbs, extension, type TbsInput } from '../../../../main/pki/x509/tbs.ts';
import { softSigner, type SoftSigner } from '../../../support/soft-signer.ts';
import { makeRoot, makeSubordinate, type TestCa } from './chain.ts';
import { rsaModulus, rsaSpki } from './hostile-requests.ts';

const DAY_MS = 86_400_000;

describe('lintTbs', () => {
  let root: TestCa;
  let issuer: IssuerInfo;
  let subject: SoftSigner;
  const now = new Date();

  before(async () => {
    root = await makeRoot({ kind: 'ec', curve: 'P-384' }, now);
    issuer = readIssuer(root.certDer);
    subject = softSigner({ kind: 'ec', curve: 'P-256' });
  });

  function input(profile: Profile, changes: Partial<TbsInput> = {}): TbsInput {
    return {
      profile, subject: nameFromAttributes([{ type: 'CN', value: 'Lint Subject' }]), subjectSpki: subject.spki, issuer,
      serialHex: '4a1f00c2d3e4f5061728394a5b6c7d8e', notBefore: now, notAfter: new Date(now.getTime() + 365 * DAY_MS),
      signatureAlgorithm: algorithmIdentifierFor(signAlgorithmFor(root.signer.spec)), ...changes,
    };
  }
  const subCa = (changes: Partial<TbsInput> = {}): Uint8Array => buildTbs(input(loadProfile('subordinate-ca'), changes)).der;
  const leaf = (changes: Partial<TbsInput> = {}): Uint8Array => buildTbs(input(loadProfile('tls-server'), { subjectAltNames: { dns: ['a.example.test'], ip: [], email: [], uri: [] }, ...changes })).der;
  /** Builds, then changes the schema object the way a faulty builder could, and encodes it again. */
  function crafted(base: TbsInput, change: (tbs: TBSCertificate) => void): Uint8Array {
    const { tbs } = buildTbs(base);
    change(tbs);
    return new Uint8Array(AsnConvert.serialize(tbs));
  }
  const codes = (der: Uint8Array, by: IssuerInfo | 'self' = issuer): string[] => lintTbs(der, by).filter((f) => f.severity === 'error').map((f) => f.code);
  const replaceExtension = (tbs: TBSCertificate, oid: string, critical: boolean, value: unknown): void => {
    const at = tbs.extensions!.findIndex((e) => e.extnID === oid);
    tbs.extensions![at] = extension(oid, critical, value);
  };

  it('lints a TBS as it builds it to the same bytes and findings as linting those bytes read back', () => {
    const leafInput = input(loadProfile('tls-server'), { subjectAltNames: { dns: ['a.example.test'], ip: [], email: [], uri: [] } });
    const built = buildLinted(leafInput, issuer);
    const read = lintForSigning(buildTbs(leafInput).der, issuer);
    assert.deepEqual(Buffer.from(built.tbsDer), Buffer.from(read.tbsDer));
    assert.deepEqual(built.findings, read.findings);
    assert.deepEqual(Buffer.from(built.spkiDer), Buffer.from(read.spkiDer));
  });

  it('refuses as it builds what it refuses from bytes: a leaf with keyCertSign, a subordinate past its issuer’s validity', () => {
    const refused = (f: () => unknown, code: string): void => assert.throws(f, (e: { code?: string; details?: { codes?: string[] } }) => e.code === 'LINT_FAILED' && (e.details?.codes ?? []).includes(code));
    const tooLong = { notAfter: new Date(issuer.notAfter.getTime() + DAY_MS) };
    refused(() => buildLinted(input(loadProfile('subordinate-ca'), tooLong), issuer), 'validity.outside_issuer');
    const signing = { ...loadProfile('tls-server'), keyUsage: { usages: ['digitalSignature', 'keyCertSign'], critical: true } } as Profile;
    refused(() => buildLinted(input(signing, { subjectAltNames: { dns: ['a.example.test'], ip: [], email: [], uri: [] } }), issuer), 'leaf.key_cert_sign');
  });

  it('passes a subordinate CA and a TLS leaf built from the shipped profiles', () => {
    assert.deepEqual(codes(subCa()), []);
    assert.deepEqual(codes(leaf()), []);
  });

  it('blocks a subordinate whose pathLen is not below its issuer\u2019s', async () => {
    const middle = await makeSubordinate(root, 'P-256', now, { pathLen: 1 });
    const middleInfo = readIssuer(middle.certDer);
    const base = { issuer: middleInfo, signatureAlgorithm: algorithmIdentifierFor(signAlgorithmFor(middle.signer.spec)), notAfter: new Date(now.getTime() + 30 * DAY_MS) };
    assert.deepEqual(codes(subCa({ ...base, pathLen: 0 }), middleInfo), []);
    assert.deepEqual(codes(subCa({ ...base, pathLen: 1 }), middleInfo), ['ca.path_len_exceeds_issuer']);
    assert.deepEqual(codes(crafted(input(loadProfile('subordinate-ca'), base), (tbs) => replaceExtension(tbs, OID.basicConstraints, true, new BasicConstraints({ cA: true }))), middleInfo), ['ca.path_len_exceeds_issuer']);
  });

  it('blocks a CA certificate without keyCertSign', () => {
    const der = crafted(input(loadProfile('subordinate-ca')), (tbs) => replaceExtension(tbs, OID.keyUsage, true, new KeyUsage(KeyUsageFlags.cRLSign)));
    assert.deepEqual(codes(der), ['ca.key_cert_sign_missing']);
  });

  it('blocks a CA certificate whose basicConstraints is not critical', () => {
    const der = crafted(input(loadProfile('subordinate-ca')), (tbs) => replaceExtension(tbs, OID.basicConstraints, false, new BasicConstraints({ cA: true, pathLenConstraint: 0 })));
    assert.deepEqual(codes(der), ['ca.basic_constraints_not_critical']);
  });

  it('blocks a CA certificate without a subjectKeyIdentifier', () => {
    const der = crafted(input(loadProfile('subordinate-ca')), (tbs) => { tbs.extensions!.splice(tbs.extensions!.findIndex((e) => e.extnID === OID.subjectKeyIdentifier), 1); });
    assert.deepEqual(codes(der), ['ca.ski_missing']);
  });

  it('blocks a leaf certificate that asserts keyCertSign', () => {
    const der = crafted(input(loadProfile('tls-client')), (tbs) => replaceExtension(tbs, OID.keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign)));
    assert.deepEqual(codes(der), ['leaf.key_cert_sign']);
  });

  it('blocks a validity that starts before or ends after the issuer\u2019s', () => {
    const issuerNotAfter = issuer.notAfter.getTime();
    assert.deepEqual(codes(subCa({ notAfter: new Date(issuerNotAfter + 1000) })), ['validity.outside_issuer']);
    assert.deepEqual(codes(subCa({ notBefore: new Date(issuer.notBefore.getTime() - DAY_MS) })), ['validity.outside_issuer']);
  });

  it('blocks notAfter before notBefore', () => {
    assert.ok(codes(leaf({ notAfter: new Date(now.getTime() - DAY_MS) })).includes('validity.reversed'));
  });

  it('blocks a GeneralizedTime before 2050 and accepts one from 2050', () => {
    const der = crafted(input(loadProfile('tls-server')), (tbs) => { tbs.validity.notAfter = new Time({ generalTime: new Date(Date.UTC(2040, 0, 1)) }); });
    assert.ok(codes(der).includes('validity.time_encoding'));
    const { tbs } = buildTbs(input(loadProfile('subordinate-ca'), { issuer: 'self', notAfter: new Date(Date.UTC(2050, 0, 1)) }));
    assert.ok(tbs.validity.notAfter.generalTime && !tbs.validity.notBefore.generalTime);
  });

  it('blocks a duplicate extension', () => {
    const der = crafted(input(loadProfile('tls-server')), (tbs) => { tbs.extensions!.push(tbs.extensions![1]!); });
    assert.deepEqual(codes(der), ['extensions.duplicate']);
  });

  it('blocks an empty subject without a critical subjectAltName, and passes it with one', () => {
    const empty = new Name([]);
    assert.deepEqual(codes(leaf({ subject: empty, subjectAltNames: undefined })), ['subject.empty_without_critical_san']);
    assert.deepEqual(codes(leaf({ subject: empty })), []);
    const nonCritical = crafted(input(loadProfile('tls-server'), { subject: empty, subjectAltNames: { dns: ['a.example.test'], ip: [], email: [], uri: [] } }), (tbs) => {
      tbs.extensions!.find((e) => e.extnID === OID.subjectAltName)!.critical = false;
    });
    assert.deepEqual(codes(nonCritical), ['subject.empty_without_critical_san']);
  });

  it('blocks a subjectAltName DNS name that is not one, and passes a wildcard as the first label', () => {
    const san = (dns: string[]) => ({ subjectAltNames: { dns, ip: [], email: [], uri: [] } });
    assert.deepEqual(codes(leaf(san(['*.example.test', 'xn--bcher-kva.example.test']))), []);
    for (const bad of ['bad name.example.test', 'example..test', '*', 'a.*.example.test', `${'a'.repeat(64)}.test`]) {
      assert.deepEqual(codes(leaf(san([bad]))), ['san.dns_invalid'], bad);
    }
  });

  it('blocks an issuer name that is not the issuer certificate\u2019s subject', () => {
    const der = crafted(input(loadProfile('tls-server')), (tbs) => { tbs.issuer = nameFromAttributes([{ type: 'CN', value: 'Someone Else' }]); });
    assert.deepEqual(codes(der), ['issuer.name_mismatch']);
  });

  it('blocks an authorityKeyIdentifier that is not the issuer\u2019s key identifier, or none at all', () => {
    const wrong = crafted(input(loadProfile('tls-server')), (tbs) => {
      const at = tbs.extensions!.findIndex((e) => e.extnID === OID.authorityKeyIdentifier);
      tbs.extensions![at] = extension(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(new Uint8Array(20).fill(7)) }));
    });
    assert.deepEqual(codes(wrong), ['aki.mismatch']);
    const missing = crafted(input(loadProfile('tls-server')), (tbs) => { tbs.extensions!.splice(tbs.extensions!.findIndex((e) => e.extnID === OID.authorityKeyIdentifier), 1); });
    assert.deepEqual(codes(missing), ['aki.missing']);
  });

  it('blocks serials that are negative, zero, over 20 octets or not minimal', () => {
    assert.deepEqual(codes(leaf({ serialHex: '80aa' })), ['serial.not_positive']);
    assert.deepEqual(codes(leaf({ serialHex: '00' })), ['serial.zero']);
    assert.deepEqual(codes(leaf({ serialHex: '01'.repeat(21) })), ['serial.too_long']);
    assert.deepEqual(codes(leaf({ serialHex: '0012' })), ['serial.not_minimal']);
    assert.deepEqual(codes(leaf({ serialHex: '0080' })), []);
  });

  it('blocks extensions in a certificate that is not version 3', () => {
    const der = crafted(input(loadProfile('tls-server')), (tbs) => { tbs.version = Version.v1; });
    assert.deepEqual(codes(der), ['version.not_v3']);
  });

  it('blocks a signature algorithm for another key type than the issuer\u2019s', () => {
    const rsaAlgorithm = algorithmIdentifierFor(signAlgorithmFor({ kind: 'rsa', bits: 3072 }));
    assert.deepEqual(codes(leaf({ signatureAlgorithm: rsaAlgorithm })), ['signature.key_mismatch']);
  });

  it('checks a self-signed root against itself: issuer equals subject, AKI may be absent', () => {
    const rootProfile = loadProfile('root-ca');
    const self = (changes: Partial<TbsInput>): Uint8Array => buildTbs({ ...input(rootProfile, { issuer: 'self', subjectSpki: root.signer.spki, ...changes }) }).der;
    assert.deepEqual(codes(self({}), 'self'), []);
    assert.deepEqual(codes(self({ profile: { ...rootProfile, authorityKeyIdentifier: false } }), 'self'), []);
    const notSelf = crafted(input(rootProfile, { issuer: 'self', subjectSpki: root.signer.spki }), (tbs) => { tbs.issuer = nameFromAttributes([{ type: 'CN', value: 'Other' }]); });
    assert.deepEqual(codes(notSelf, 'self'), ['issuer.name_mismatch']);
  });

  it('reports bytes that are not a TBSCertificate as one error', () => {
    assert.deepEqual(codes(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)), ['tbs.malformed']);
  });

  it('assertLintClean and lintForSigning throw LINT_FAILED listing every error', () => {
    const der = crafted(input(loadProfile('tls-client'), { serialHex: '80aa' }), (tbs) => {
      replaceExtension(tbs, OID.keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign));
    });
    for (const run of [() => assertLintClean(lintTbs(der, issuer)), () => lintForSigning(der, issuer)]) {
      assert.throws(run, (e: unknown) => {
        const err = e as { code: string; details: { codes: string[] } };
        assert.equal(err.code, 'LINT_FAILED');
        assert.deepEqual([...err.details.codes].sort(), ['leaf.key_cert_sign', 'serial.not_positive']);
        return true;
      });
    }
    assert.doesNotThrow(() => assertLintClean([{ code: 'key_usage.not_critical', severity: 'warning', message: 'w' }]));
  });

  it('blocks subject names over RFC 5280\u2019s bounds or holding control or bidi characters, naming the field', () => {
    const withCn = (value: string): Uint8Array => leaf({ subject: nameFromAttributes([{ type: 'CN', value }]) });
    assert.deepEqual(codes(withCn('c'.repeat(64))), []);
    assert.deepEqual(codes(withCn('c'.repeat(65))), ['subject.too_long']);
    assert.deepEqual(codes(withCn('x\n[critical] basicConstraints: {"ca":true}')), ['subject.characters']);
    assert.deepEqual(codes(withCn('\u001b]8;;https://evil.test\u0007x')), ['subject.characters']);
    assert.deepEqual(codes(withCn('txt.\u202eexe')), ['subject.characters']);
    const findings = lintTbs(withCn('a'.repeat(100_000)), issuer);
    assert.match(findings[0]!.message, /subject CN has 100000 characters; at most 64/);
  });

  it('blocks SAN names with control characters, and shows the name escaped in the message', () => {
    const findings = lintTbs(leaf({ subjectAltNames: { dns: ['a\u001b[2J.example.test'], ip: [], email: [], uri: [] } }), issuer);
    assert.deepEqual(findings.map((f) => f.code).sort(), ['san.characters', 'san.dns_invalid']);
    assert.ok(findings.every((f) => !f.message.includes('\u001b')), 'no ESC byte in any message');
    assert.match(findings.find((f) => f.code === 'san.dns_invalid')!.message, /a\\u\{1B\}\[2J\.example\.test/);
  });

  it('blocks RSA subject keys with e = 1, an even e, e = 3 or an even modulus (CA/Browser Forum BR 6.1.6)', () => {
    const n = rsaModulus();
    assert.deepEqual(codes(leaf({ subjectSpki: rsaSpki(n, 65537n) })), []);
    assert.deepEqual(codes(leaf({ subjectSpki: rsaSpki(n, 1n) })), ['key.rsa_exponent']);
    assert.deepEqual(codes(leaf({ subjectSpki: rsaSpki(n, 65538n) })), ['key.rsa_exponent']);
    assert.deepEqual(codes(leaf({ subjectSpki: rsaSpki(n, 3n) })), ['key.rsa_exponent']);
    assert.deepEqual(codes(leaf({ subjectSpki: rsaSpki(n * 2n, 65537n) })), ['key.rsa_modulus']);
    assert.deepEqual(codes(leaf({ subjectSpki: rsaSpki(n * 3n, 65537n) })), ['key.rsa_modulus']);
  });
});
