// Real SoftHSM2 module: keys generated on the token, found by their SPKI hash,
// and signatures checked by node:crypto against the SPKI the token reported.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isCustosError } from '../../../../main/errors/index.ts';
import { Pkcs11Provider, Pkcs11Token } from '../../../../main/hsm/pkcs11/index.ts';
import { CK, type Handle, type Pkcs11Api } from '../../../../main/hsm/pkcs11/api.ts';
import { acquireModule, type LoadedModule } from '../../../../main/hsm/pkcs11/module.ts';
import { Secret } from '../../../../main/secret.ts';
import type { HashName, KeyRef, KeySpec } from '../../../../main/hsm/token.ts';
import { createSoftHsm, type SoftHsm } from '../../../support/softhsm.ts';

const SO_PIN = '87654321';
const USER_PIN = '246810';
const MESSAGE = new TextEncoder().encode('tbsCertificate of Custos Root CA G1');
const HASHES: readonly HashName[] = ['SHA-256', 'SHA-384', 'SHA-512'];
const NODE_HASH: Record<HashName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const HASH_BYTES: Record<HashName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

const SPECS: readonly KeySpec[] = [
  { kind: 'rsa', bits: 2048 }, { kind: 'rsa', bits: 3072 }, { kind: 'rsa', bits: 4096 },
  { kind: 'ec', curve: 'P-256' }, { kind: 'ec', curve: 'P-384' }, { kind: 'ec', curve: 'P-521' },
];
const name = (spec: KeySpec): string => (spec.kind === 'rsa' ? `RSA-${spec.bits}` : `EC ${spec.curve}`);

function publicKeyOf(key: KeyRef): KeyObject {
  return createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
}

interface Call {
  readonly name: string;
  readonly session?: string;
  readonly mechanism?: number;
}

/**
 * The real module, seen through a wrapper that records each call and can hide
 * the token's hash-and-sign mechanisms, so the host-hash paths run on SoftHSM.
 */
function spiedApi(api: Pkcs11Api, options: { hideCombined: boolean; calls: Call[] }): Pkcs11Api {
  const hidden = new Set(options.hideCombined ? [
    CK.CKM_SHA256_RSA_PKCS, CK.CKM_SHA384_RSA_PKCS, CK.CKM_SHA512_RSA_PKCS,
    CK.CKM_SHA256_RSA_PKCS_PSS, CK.CKM_SHA384_RSA_PKCS_PSS, CK.CKM_SHA512_RSA_PKCS_PSS,
  ] : []);
  return new Proxy(api, {
    get(target, property) {
      if (property === 'C_GetMechanismList') return (slot: Handle) => target.C_GetMechanismList(slot).filter((m) => !hidden.has(m));
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const first = args[0];
        const mechanism = property === 'C_SignInit' ? (args[1] as { mechanism: number }).mechanism : undefined;
        options.calls.push({ name: String(property), session: Buffer.isBuffer(first) ? first.toString('hex') : undefined, mechanism });
        // pkcs11js's native methods need their own object as `this`.
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('Pkcs11Token keys and signatures on SoftHSM2', () => {
  let hsm: SoftHsm;
  let provider: Pkcs11Provider;
  let token: Pkcs11Token;
  let module: LoadedModule;
  let slot: Handle;
  let session: Handle;
  let hostHashing: Pkcs11Token;
  let spied: Pkcs11Token;
  const spiedCalls: Call[] = [];
  const hostHashingCalls: Call[] = [];
  const keys = new Map<string, KeyRef>();

  before(async () => {
    hsm = await createSoftHsm();
    const serial = await hsm.initToken('Custos Signing', SO_PIN, USER_PIN);
    provider = new Pkcs11Provider({ modulePath: hsm.modulePath });
    token = await provider.open({ serial });
    await token.login(Secret.fromString(USER_PIN));
    // Each spec once per file: RSA-4096 generation is slow on SoftHSM.
    for (const spec of SPECS) keys.set(name(spec), await token.generateKeyPair(spec, `CA key ${name(spec)}`));
    // An independent look at the same token, through a second session of the same module.
    module = acquireModule(hsm.modulePath);
    slot = module.api.C_GetSlotList(true).find((s) => module.api.C_GetTokenInfo(s).serialNumber.trim() === serial)!;
    session = module.api.C_OpenSession(slot, CK.CKF_SERIAL_SESSION);
    hostHashing = Pkcs11Token.open({ api: spiedApi(module.api, { hideCombined: true, calls: hostHashingCalls }), slot });
    spied = Pkcs11Token.open({ api: spiedApi(module.api, { hideCombined: false, calls: spiedCalls }), slot });
  });

  after(async () => {
    await hostHashing?.close();
    await spied?.close();
    if (session) module.api.C_CloseSession(session);
    module?.release();
    await provider?.close();
    await hsm?.cleanup();
  });

  for (const spec of SPECS) {
    it(`generates ${name(spec)} on the token and finds it again by the SHA-256 of its SPKI`, async () => {
      const key = keys.get(name(spec))!;
      assert.deepEqual(key.spec, spec);
      assert.equal(key.spkiSha256, createHash('sha256').update(key.spki).digest('hex'));
      assert.equal(key.id, createHash('sha256').update(key.spki).digest('hex').slice(0, 40));
      const publicKey = publicKeyOf(key);
      if (spec.kind === 'rsa') {
        assert.equal(publicKey.asymmetricKeyType, 'rsa');
        assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, spec.bits);
        assert.equal(publicKey.asymmetricKeyDetails?.publicExponent, 65537n);
      } else {
        assert.equal(publicKey.asymmetricKeyType, 'ec');
        assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[spec.curve]);
      }
      const found = await token.findKey(key.spkiSha256);
      assert.ok(found);
      assert.equal(found.label, `CA key ${name(spec)}`);
      assert.deepEqual(found.spki, key.spki);
      assert.equal(found.alwaysAuthenticate, false);
    });
  }

  it('lists each generated key once, and finds nothing for an unknown SPKI hash', async () => {
    const listed = await token.listKeys();
    assert.deepEqual(listed.map((k) => k.spkiSha256).sort(), [...keys.values()].map((k) => k.spkiSha256).sort());
    assert.equal(await token.findKey('00'.repeat(32)), undefined);
  });

  it('keeps each private key on the token: sensitive, never extractable, private, for signing only', () => {
    for (const key of keys.values()) {
      const [privateKey] = findByClassAndId(CK.CKO_PRIVATE_KEY, key.id);
      assert.ok(privateKey, key.label);
      const attrs = module.api.C_GetAttributeValue(session, privateKey, [
        { type: CK.CKA_SENSITIVE }, { type: CK.CKA_EXTRACTABLE }, { type: CK.CKA_TOKEN }, { type: CK.CKA_PRIVATE },
        { type: CK.CKA_SIGN }, { type: CK.CKA_DECRYPT }, { type: CK.CKA_LABEL },
      ]).map((a) => a.value);
      assert.deepEqual(attrs.slice(0, 6).map((v) => v[0]), [1, 0, 1, 1, 1, 0], key.label);
      assert.equal(attrs[6]!.toString(), key.label);
      const [publicKey] = findByClassAndId(CK.CKO_PUBLIC_KEY, key.id);
      assert.ok(publicKey);
      assert.equal(module.api.C_GetAttributeValue(session, publicKey, [{ type: CK.CKA_VERIFY }])[0]!.value[0], 1);
    }
  });

  function findByClassAndId(objectClass: number, idHex: string): Handle[] {
    module.api.C_FindObjectsInit(session, [{ type: CK.CKA_CLASS, value: objectClass }, { type: CK.CKA_ID, value: Buffer.from(idHex, 'hex') }]);
    try {
      return module.api.C_FindObjects(session, 10);
    } finally {
      module.api.C_FindObjectsFinal(session);
    }
  }

  for (const bits of [2048, 3072, 4096] as const) {
    for (const hash of HASHES) {
      it(`signs RSA-${bits} PKCS#1 v1.5 with ${hash} that node:crypto verifies`, async () => {
        const key = keys.get(`RSA-${bits}`)!;
        const signature = await token.signer(key).sign(MESSAGE, { scheme: 'rsa-pkcs1', hash });
        assert.equal(signature.length, bits / 8);
        assert.ok(verify(NODE_HASH[hash], MESSAGE, { key: publicKeyOf(key), padding: constants.RSA_PKCS1_PADDING }, signature));
        assert.ok(!verify(NODE_HASH[hash], new TextEncoder().encode('another message'), publicKeyOf(key), signature));
      });
      it(`signs RSA-${bits} PSS with ${hash}, MGF1-${hash} and a ${HASH_BYTES[hash]}-byte salt that node:crypto verifies`, async () => {
        const key = keys.get(`RSA-${bits}`)!;
        const signature = await token.signer(key).sign(MESSAGE, { scheme: 'rsa-pss', hash, saltLengthBytes: HASH_BYTES[hash] });
        const pss = { key: publicKeyOf(key), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash] };
        assert.ok(verify(NODE_HASH[hash], MESSAGE, pss, signature));
        assert.ok(!verify(NODE_HASH[hash], MESSAGE, { ...pss, saltLength: HASH_BYTES[hash] + 1 }, signature));
      });
    }
  }

  for (const [curve, hash] of [['P-256', 'SHA-256'], ['P-384', 'SHA-384'], ['P-521', 'SHA-512'], ['P-256', 'SHA-512']] as const) {
    it(`signs EC ${curve} ECDSA with ${hash} as a DER Ecdsa-Sig-Value that node:crypto verifies`, async () => {
      const key = keys.get(`EC ${curve}`)!;
      const signature = await token.signer(key).sign(MESSAGE, { scheme: 'ecdsa', hash });
      assert.equal(signature[0], 0x30);
      assert.ok(verify(NODE_HASH[hash], MESSAGE, { key: publicKeyOf(key), dsaEncoding: 'der' }, signature));
      assert.ok(!verify(NODE_HASH[hash], new TextEncoder().encode('another message'), { key: publicKeyOf(key), dsaEncoding: 'der' }, signature));
    });
  }

  it('signs a batch on the one held session, opening none', async () => {
    const key = keys.get('EC P-256')!;
    const signer = spied.signer(key);
    spiedCalls.length = 0;
    const signatures = await Promise.all(Array.from({ length: 8 }, (_, i) => signer.sign(Uint8Array.of(i), { scheme: 'ecdsa', hash: 'SHA-256' })));
    signatures.forEach((signature, i) => assert.ok(verify('sha256', Uint8Array.of(i), { key: publicKeyOf(key), dsaEncoding: 'der' }, signature)));
    const signCalls = spiedCalls.filter((c) => c.name === 'C_SignAsync');
    assert.equal(signCalls.length, 8);
    assert.equal(new Set(signCalls.map((c) => c.session)).size, 1);
    assert.equal(spiedCalls.filter((c) => c.name === 'C_OpenSession' || c.name === 'C_CloseSession').length, 0);
  });

  it('hashes on the host and sends a DigestInfo to CKM_RSA_PKCS when the token lacks CKM_SHAx_RSA_PKCS', async () => {
    const key = keys.get('RSA-2048')!;
    for (const hash of HASHES) {
      const signature = await hostHashing.signer(key).sign(MESSAGE, { scheme: 'rsa-pkcs1', hash });
      assert.ok(verify(NODE_HASH[hash], MESSAGE, publicKeyOf(key), signature), hash);
    }
    const mechanisms = hostHashingCalls.filter((c) => c.name === 'C_SignInit').map((c) => c.mechanism);
    assert.deepEqual(mechanisms, [CK.CKM_RSA_PKCS, CK.CKM_RSA_PKCS, CK.CKM_RSA_PKCS]);
  });

  it('hashes on the host for CKM_RSA_PKCS_PSS when the token lacks CKM_SHAx_RSA_PKCS_PSS', async () => {
    const key = keys.get('RSA-3072')!;
    hostHashingCalls.length = 0;
    const signature = await hostHashing.signer(key).sign(MESSAGE, { scheme: 'rsa-pss', hash: 'SHA-384', saltLengthBytes: 48 });
    assert.deepEqual(hostHashingCalls.filter((c) => c.name === 'C_SignInit').map((c) => c.mechanism), [CK.CKM_RSA_PKCS_PSS]);
    assert.ok(verify('sha384', MESSAGE, { key: publicKeyOf(key), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, signature));
  });

  it('refuses ECDSA with an RSA key as MECHANISM_UNSUPPORTED, and the session still signs after', async () => {
    const rsa = keys.get('RSA-2048')!;
    await assert.rejects(token.signer(rsa).sign(MESSAGE, { scheme: 'ecdsa', hash: 'SHA-256' }),
      (e: unknown) => isCustosError(e) && e.code === 'MECHANISM_UNSUPPORTED');
    const signature = await token.signer(rsa).sign(MESSAGE, { scheme: 'rsa-pkcs1', hash: 'SHA-256' });
    assert.ok(verify('sha256', MESSAGE, publicKeyOf(rsa), signature));
  });
});
