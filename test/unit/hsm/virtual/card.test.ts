import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isCustosError } from '../../../../main/errors/index.ts';
import { createPrivateKey } from 'node:crypto';
import { VirtualCard, SC_HSM_ATR } from '../../../../main/hsm/virtual/card.ts';
import { secretFileFor } from '../../../../main/hsm/virtual/state-file.ts';
import { decodeCvcChain, serialFromDeviceChr } from '../../../../main/pki/cvc/cvc.ts';
import { VIRTUAL_SRCA_CHR } from '../../../../main/hsm/virtual/attestation.ts';
import { initialize, login, selectApplet, send, sendRaw, tempCard, USER_PIN } from './card-helpers.ts';

describe('virtual card lifecycle', () => {
  it('answers with the standard SmartCard-HSM ATR', async () => {
    const t = await tempCard();
    try {
      assert.equal(Buffer.from(t.card.atr).toString('hex'), Buffer.from(SC_HSM_ATR).toString('hex'));
      assert.equal(Buffer.from(t.card.atr).toString('hex'), '3bfe1800008131fe458031815448534d31738021408107fa');
    } finally { await t.cleanup(); }
  });

  it('has one holder at a time, in this process or another, as a card in an exclusive connection; the next gets it after close', async () => {
    const t = await tempCard();
    try {
      await assert.rejects(VirtualCard.open(t.stateFile), (e: unknown) => isCustosError(e) && e.code === 'SESSION_FAILED' && /this one/.test(e.message));
      const other = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
        import('${join(process.cwd(), 'main/hsm/virtual/card.ts')}').then(({ VirtualCard }) => VirtualCard.open(${JSON.stringify(t.stateFile)}))
          .then(() => process.exit(0), (e) => { console.log(e.code); process.exit(3); });`], { encoding: 'utf8' });
      assert.equal(other.status, 3, other.stderr);
      assert.equal(other.stdout.trim(), 'SESSION_FAILED');
      await t.card.close();
      const next = await VirtualCard.open(t.stateFile);
      await next.close();
    } finally { await t.cleanup(); }
  });

  it('refuses to create a card over an existing state file', async () => {
    const t = await tempCard();
    try {
      await assert.rejects(VirtualCard.create(t.stateFile), { code: 'FILE_EXISTS' });
    } finally { await t.cleanup(); }
  });

  it('writes the secret beside the state with mode 0600 and a VIRTUAL header', async () => {
    const t = await tempCard();
    try {
      assert.equal(statSync(secretFileFor(t.stateFile)).mode & 0o777, 0o600);
      assert.equal(readFileSync(secretFileFor(t.stateFile)).length, 32);
      assert.match(readFileSync(t.stateFile).subarray(0, 60).toString('latin1'), /^CUSTOS VIRTUAL SMARTCARD-HSM STATE v1\n/);
    } finally { await t.cleanup(); }
  });

  it('holds a device certificate chain in 2F02 whose CHR gives an 11-character serial under the UT test root', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      const read = await send(t.card, 0x00, 0xb1, 0x2f, 0x02, Buffer.from('54020000', 'hex'), 65536);
      assert.equal(read.sw, 0x9000);
      const [device, dica] = decodeCvcChain(read.data);
      assert.ok(device && dica);
      assert.equal(device.body.chr, t.card.deviceChr);
      assert.equal(serialFromDeviceChr(device.body.chr), t.card.serial);
      assert.equal(t.card.serial.length, 11);
      assert.equal(device.body.car, dica.body.chr);
      assert.equal(dica.body.car, VIRTUAL_SRCA_CHR);
      assert.ok(VIRTUAL_SRCA_CHR.startsWith('UT'));
    } finally { await t.cleanup(); }
  });

  it('keeps PINs, keys and files across close and open, with no private key bytes in the clear', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      const gen = await send(t.card, 0x00, 0x46, 0x01, 0x00, (await import('./keygen-data.ts')).ecKeyRequest('P-256'), 65536);
      assert.equal(gen.sw, 0x9000);
      await t.card.close();
      const reopened = await VirtualCard.open(t.stateFile);
      try {
        await selectApplet(reopened);
        assert.equal((await send(reopened, 0x00, 0x20, 0x00, 0x81)).sw, 0x63c3);
        assert.equal((await send(reopened, 0x00, 0x20, 0x00, 0x81, USER_PIN)).sw, 0x9000);
        const signed = await send(reopened, 0x80, 0x68, 0x01, 0x70, Buffer.alloc(32, 7), 512);
        assert.equal(signed.sw, 0x9000);
        const list = await send(reopened, 0x80, 0x58, 0x00, 0x00, undefined, 65536);
        assert.ok(list.data.toString('hex').includes('cc01'));
        assert.ok(list.data.toString('hex').includes('ce01'));
      } finally { await reopened.close(); }
      // The state file must not contain the private scalar, the PKCS#8 encoding, or the PIN.
      const raw = readFileSync(t.stateFile);
      const { deserializeState } = await import('../../../../main/hsm/virtual/state.ts');
      const { readStateFile, readStateSecret } = await import('../../../../main/hsm/virtual/state-file.ts');
      const state = deserializeState(readStateFile(t.stateFile, readStateSecret(t.stateFile)));
      const pkcs8 = Buffer.from(state.keys[1]!.pkcs8);
      const d = Buffer.from(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }).d!, 'base64url');
      assert.equal(raw.indexOf(d), -1);
      assert.equal(raw.indexOf(pkcs8), -1);
      assert.equal(raw.indexOf(Buffer.from(state.deviceKey)), -1);
      assert.equal(raw.indexOf(USER_PIN), -1);
      assert.equal(raw.indexOf(Buffer.from(pkcs8.toString('base64'))), -1);
    } finally { await t.cleanup(); }
  });

  it('refuses to open a state file whose key file belongs to another card', async () => {
    const a = await tempCard();
    const b = await tempCard();
    try {
      const { copyFileSync } = await import('node:fs');
      copyFileSync(secretFileFor(b.stateFile), secretFileFor(a.stateFile));
      await a.card.close();
      await assert.rejects(VirtualCard.open(a.stateFile), { code: 'FORMAT_MISMATCH' });
    } finally { await a.cleanup(); await b.cleanup(); }
  });

  it('loses the PIN login on reset and on power off', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      assert.equal((await login(t.card)).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x9000);
      t.card.reset();
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x63c3);
      await login(t.card);
      t.card.powerOff();
      assert.equal((await send(t.card, 0x80, 0x68, 0x01, 0x70, Buffer.alloc(32), 512)).sw, 0x6982);
    } finally { await t.cleanup(); }
  });

  it('answers 6700 to APDUs whose length fields do not add up', async () => {
    const t = await tempCard();
    try {
      assert.equal((await sendRaw(t.card, '00A40400 05 E82B06')).sw, 0x6700);
      assert.equal((await sendRaw(t.card, '00A4')).sw, 0x6700);
      assert.equal((await sendRaw(t.card, '00A40400 00 0005 E82B0601')).sw, 0x6700);
    } finally { await t.cleanup(); }
  });

  it('answers 6D00 to unknown instructions and 6E00 to unknown classes', async () => {
    const t = await tempCard();
    try {
      assert.equal((await sendRaw(t.card, '00FE0000')).sw, 0x6d00);
      assert.equal((await sendRaw(t.card, 'A0A40000')).sw, 0x6e00);
    } finally { await t.cleanup(); }
  });
});
