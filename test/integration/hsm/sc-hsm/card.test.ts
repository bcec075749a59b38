import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { isCustosError } from '../../../../main/errors/index.ts';
import { Secret } from '../../../../main/secret.ts';
import { join } from 'node:path';
import { cardBench, PIN, pin, SO_PIN } from './fixtures.ts';

const bench = cardBench();
after(() => bench.cleanup());

const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;

describe('ScHsmCard on a virtual SmartCard-HSM', () => {
  it('reads the applet version on SELECT and reports an uninitialized card without spending a try', async () => {
    const vc = await VirtualCard.create(join(bench.dir, 'blank.card'));
    const card = await ScHsmCard.open(new InProcessTransport(vc));
    assert.ok(card.version.major >= 1);
    assert.deepEqual(await card.pinStatus(), { initialized: false, verified: false, blocked: false, transportPin: false });
    await assert.rejects(card.verifyPin(pin()), code('TOKEN_NOT_INITIALIZED'));
    await card.close();
  });

  it('counts wrong PINs down, blocks at zero, and unblocks with the SO-PIN', async () => {
    const vc = await bench.card('pins', { pinRetries: 3 });
    const card = await ScHsmCard.open(new InProcessTransport(vc));
    assert.equal((await card.pinStatus()).triesLeft, 3);
    await assert.rejects(card.verifyPin(pin('000000')), (e) => isCustosError(e) && e.code === 'PIN_INCORRECT' && e.details['triesLeft'] === 2);
    assert.equal((await card.pinStatus()).triesLeft, 2, 'the status query spent no try');
    await assert.rejects(card.verifyPin(pin('000000')), (e) => isCustosError(e) && e.details['triesLeft'] === 1);
    await assert.rejects(card.verifyPin(pin('000000')), code('PIN_BLOCKED'));
    assert.equal((await card.pinStatus()).blocked, true);
    await assert.rejects(card.verifyPin(pin()), code('PIN_BLOCKED'));
    await assert.rejects(card.unblockPin(Secret.fromString('0000000000000000'), pin('123456')), code('PIN_INCORRECT'));
    await card.unblockPin(Secret.fromString(SO_PIN), pin('123456'));
    assert.equal((await card.pinStatus()).triesLeft, 3);
    await card.verifyPin(pin('123456'));
    assert.equal((await card.pinStatus()).verified, true);
    await card.changePin(pin('123456'), pin(PIN));
    await card.logout();
    assert.equal((await card.pinStatus()).verified, false, 'SELECT logs the card out');
    await card.verifyPin(pin());
    await card.close();
  });

  it('refuses malformed PINs before the card can count a try', async () => {
    const vc = await bench.card('shape');
    const card = await ScHsmCard.open(new InProcessTransport(vc));
    await assert.rejects(card.verifyPin(pin('123')), code('PIN_INVALID'));
    await assert.rejects(card.unblockPin(Secret.fromString('not-hex-at-all!!')), code('PIN_INVALID'));
    assert.equal((await card.pinStatus()).triesLeft, 3);
    await card.close();
  });

  it('writes, reads back and deletes an EF larger than one APDU', async () => {
    const vc = await bench.card('files');
    const card = await ScHsmCard.open(new InProcessTransport(vc));
    await card.verifyPin(pin());
    const data = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    await card.writeFile(0xcf01, data);
    assert.deepEqual(await card.readFile(0xcf01), data);
    assert.ok((await card.enumerateObjects()).includes(0xcf01));
    await card.deleteFile(0xcf01);
    assert.equal(await card.readFileIfPresent(0xcf01), undefined);
    await assert.rejects(card.readFile(0xcf01), code('FILE_NOT_FOUND'));
    await card.close();
  });

  it('reads large files in pieces and writes through a reader limited to short APDUs', async () => {
    const vc = await bench.card('short');
    const card = await ScHsmCard.open(new InProcessTransport(vc, { maxApduBytes: 261 }));
    await card.verifyPin(pin());
    const data = Uint8Array.from({ length: 1500 }, (_, i) => (i * 7) & 0xff);
    await card.writeFile(0xcf02, data);
    assert.deepEqual(await card.readFile(0xcf02), data);
    // An RSA-4096 signature block (512 bytes) cannot be cut up: the reader's limit is reported, nothing is sent.
    await assert.rejects(card.sign(1, 0x20, new Uint8Array(512)), (e) => isCustosError(e) && e.code === 'APDU_TOO_LONG' && e.details['maxApduBytes'] === 261);
    await card.close();
  });

  it('notices a login lost to a reset or to another host\'s SELECT and accepts a new login', async () => {
    const vc = await bench.card('lost');
    const card = await ScHsmCard.open(new InProcessTransport(vc));
    await card.verifyPin(pin());
    vc.reset();
    await assert.rejects(card.writeFile(0xcf03, Uint8Array.of(1)), code('AUTH_STATE_LOST'));
    await assert.rejects(card.writeFile(0xcf03, Uint8Array.of(1)), code('NOT_LOGGED_IN'), 'once noticed, the card is known to be logged out');
    await card.verifyPin(pin());
    // Another host on the same card selects the applet, as OpenSC does on every bind.
    await vc.transmit(Uint8Array.from(Buffer.from('00A4040C0BE82B0601040181C31F0201', 'hex')));
    await assert.rejects(card.assertAuthenticated(), code('AUTH_STATE_LOST'));
    assert.equal(await card.readFileIfPresent(0xcf03), undefined, 'nothing was written');
    await card.verifyPin(pin());
    await card.writeFile(0xcf03, Uint8Array.of(1));
    await card.close();
  });
});
