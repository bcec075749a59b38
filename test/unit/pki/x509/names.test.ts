import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { planRootCertificate, signTbs } from '../../../../main/pki/x509/issue.ts';
import { loadProfile } from '../../../../main/pki/x509/profiles.ts';
import { runTool } from '../../../support/openssl.ts';
import { softSigner } from '../../../support/soft-signer.ts';
import { formatName, nameAttributes, nameFromAttributes } from '../../../../main/pki/x509/names.ts';

describe('names', () => {
  it('prints RFC 4514 strings as openssl -nameopt RFC2253 does, escapes included', async () => {
    const name = nameFromAttributes([
      { type: 'C', value: 'DE' }, { type: 'O', value: 'Example, Inc.' }, { type: 'OU', value: '#1 team' },
      { type: 'CN', value: 'a+b ' }, { type: 'emailAddress', value: 'ca@example.test' },
    ]);
    const signer = softSigner({ kind: 'ec', curve: 'P-384' });
    const plan = planRootCertificate({ profile: loadProfile('root-ca'), subject: name, signerSpki: signer.spki, spec: signer.spec, serial: '01', now: new Date() });
    const files = { 'c.der': await signTbs(plan.linted, signer, plan.algorithm) };
    const shown = await runTool('openssl', ['x509', '-inform', 'DER', '-in', 'c.der', '-noout', '-subject', '-nameopt', 'RFC2253'], { files });
    assert.equal(`subject=${formatName(name)}`, shown.stdout.trim());
    assert.equal(formatName(name), 'emailAddress=ca@example.test,CN=a\\+b\\ ,OU=\\#1 team,O=Example\\, Inc.,C=DE');
  });

  it('joins a multi-valued RDN with + and encodes its members in DER SET OF order', () => {
    const name = nameFromAttributes([[{ type: 'UID', value: 'x' }, { type: 'CN', value: 'a' }]]);
    assert.equal(formatName(name), 'CN=a+UID=x');
  });

  it('encodes C as PrintableString, emailAddress as IA5String and the rest as UTF8String', async () => {
    const der = new Uint8Array(AsnConvert.serialize(nameFromAttributes([{ type: 'C', value: 'DE' }, { type: 'emailAddress', value: 'a@b.test' }, { type: 'CN', value: 'Zoë' }])));
    const parsed = await runTool('openssl', ['asn1parse', '-inform', 'DER', '-in', 'n.der'], { files: { 'n.der': der } });
    assert.match(parsed.stdout, /PRINTABLESTRING\s+:DE/);
    assert.match(parsed.stdout, /IA5STRING\s+:a@b\.test/);
    assert.match(parsed.stdout, /UTF8STRING\s+:Zo/);
  });

  it('refuses an unknown attribute, an empty value and a country that is not two capitals', () => {
    for (const bad of [{ type: 'XX', value: 'x' }, { type: 'CN', value: '' }, { type: 'C', value: 'Germany' }]) {
      assert.throws(() => nameFromAttributes([bad]), (e: unknown) => (e as { code: string }).code === 'INPUT_INVALID', bad.type);
    }
  });

  it('lists attributes in encoded order with their OIDs', () => {
    assert.deepEqual(nameAttributes(nameFromAttributes([{ type: '2.5.4.10', value: 'Org' }, { type: 'cn', value: 'x' }])), [
      [{ type: '2.5.4.10', name: 'O', value: 'Org' }], [{ type: '2.5.4.3', name: 'CN', value: 'x' }],
    ]);
  });
});
