// Real SoftHSM2 module: listing and opening tokens by what is printed on them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isCustosError } from '../../../../main/errors/index.ts';
import { Pkcs11Provider } from '../../../../main/hsm/pkcs11/index.ts';
import { Secret } from '../../../../main/secret.ts';
import { createSoftHsm, type SoftHsm } from '../../../support/softhsm.ts';

const SO_PIN = '87654321';
const USER_PIN = '246810';

describe('Pkcs11Provider on SoftHSM2', () => {
  let hsm: SoftHsm;
  let provider: Pkcs11Provider;
  const serials: Record<string, string> = {};

  before(async () => {
    hsm = await createSoftHsm();
    serials.root = await hsm.initToken('Custos Root', SO_PIN, USER_PIN);
    serials.issuing = await hsm.initToken('Custos Issuing', SO_PIN, USER_PIN);
    serials.twinA = await hsm.initToken('Twin', SO_PIN, USER_PIN);
    serials.twinB = await hsm.initToken('Twin', SO_PIN, USER_PIN);
    provider = new Pkcs11Provider({ modulePath: hsm.modulePath });
  });

  after(async () => {
    await provider?.close();
    await hsm?.cleanup();
  });

  it('lists every initialised token with label, serial, model, reader and PIN state, before any login', async () => {
    const tokens = await provider.list();
    assert.deepEqual(tokens.map((t) => t.label).sort(), ['Custos Issuing', 'Custos Root', 'Twin', 'Twin']);
    const root = tokens.find((t) => t.label === 'Custos Root');
    assert.ok(root);
    assert.equal(root.serial, serials.root);
    assert.equal(root.model, 'SoftHSM v2');
    assert.equal(root.manufacturer, 'SoftHSM project');
    assert.match(root.reader, /^SoftHSM slot/);
    assert.equal(root.backend, 'pkcs11');
    assert.equal(root.virtual, false);
    assert.equal(root.loggedIn, false);
    assert.deepEqual(root.pinState, { initialized: true, countLow: false, finalTry: false, locked: false });
    assert.ok(root.flags.includes('CKF_TOKEN_INITIALIZED'));
    assert.ok(root.flags.includes('CKF_USER_PIN_INITIALIZED'));
    assert.ok(root.flags.includes('CKF_LOGIN_REQUIRED'));
  });

  it('marks the tokens as virtual when the caller says they stand in for a rehearsal', async () => {
    const rehearsal = new Pkcs11Provider({ modulePath: hsm.modulePath, virtual: true });
    try {
      const tokens = await rehearsal.list();
      assert.ok(tokens.length > 0);
      assert.ok(tokens.every((t) => t.virtual));
    } finally {
      await rehearsal.close();
    }
  });

  it('opens a token by its label', async () => {
    const token = await provider.open({ label: 'Custos Issuing' });
    try {
      assert.equal(token.info.serial, serials.issuing);
    } finally {
      await token.close();
    }
  });

  it('opens a token by its serial, and lists it as logged in while its session is', async () => {
    const token = await provider.open({ serial: serials.root });
    try {
      assert.equal(token.info.label, 'Custos Root');
      await token.login(Secret.fromString(USER_PIN));
      const listed = (await provider.list()).find((t) => t.serial === serials.root);
      assert.equal(listed?.loggedIn, true);
    } finally {
      await token.close();
    }
    assert.equal((await provider.list()).find((t) => t.serial === serials.root)?.loggedIn, false);
  });

  it('tells twins apart by label and serial together', async () => {
    const token = await provider.open({ label: 'Twin', serial: serials.twinB });
    try {
      assert.equal(token.info.serial, serials.twinB);
    } finally {
      await token.close();
    }
  });

  it('refuses an unknown label with TOKEN_NOT_FOUND naming the tokens that are present', async () => {
    await assert.rejects(provider.open({ label: 'Custos Offline' }), (e: unknown) => {
      assert.ok(isCustosError(e));
      assert.equal(e.code, 'TOKEN_NOT_FOUND');
      assert.match(e.message, /Custos Offline/);
      assert.ok(e.message.includes(`"Custos Root" (serial ${serials.root})`), e.message);
      assert.ok(e.message.includes(`"Custos Issuing" (serial ${serials.issuing})`), e.message);
      return true;
    });
  });

  it('refuses a label two tokens share with TOKEN_AMBIGUOUS naming both serials', async () => {
    await assert.rejects(provider.open({ label: 'Twin' }), (e: unknown) => {
      assert.ok(isCustosError(e));
      assert.equal(e.code, 'TOKEN_AMBIGUOUS');
      assert.ok(e.message.includes(serials.twinA!) && e.message.includes(serials.twinB!), e.message);
      return true;
    });
  });

  it('reports MODULE_LOAD_FAILED with the path when the module is missing', async () => {
    const missing = new Pkcs11Provider({ modulePath: '/nonexistent/libpkcs11-missing.so' });
    await assert.rejects(missing.list(), (e: unknown) => {
      assert.ok(isCustosError(e));
      assert.equal(e.code, 'MODULE_LOAD_FAILED');
      assert.match(e.message, /\/nonexistent\/libpkcs11-missing\.so/);
      assert.equal(e.details.modulePath, '/nonexistent/libpkcs11-missing.so');
      return true;
    });
    await missing.close();
  });

  it('reports MODULE_LOAD_FAILED when the library is not a PKCS#11 module', async () => {
    const notPkcs11 = new Pkcs11Provider({ modulePath: process.execPath });
    await assert.rejects(notPkcs11.list(), (e: unknown) => isCustosError(e) && e.code === 'MODULE_LOAD_FAILED');
    await notPkcs11.close();
  });
});
