/**
 * A custodian's card pulled out of its PC/SC reader while their share file
 * is being opened (the derivation takes seconds at sc-hsm-tool's rounds, long
 * enough for a hand to reach the reader): the import ends TOKEN_REMOVED,
 * nothing reaches the card or the journal as imported, no password is
 * anywhere, and the same file imports whole once the card is back.
 *
 * Real parts: a private pcscd with vpcd serving the virtual SmartCard-HSM in
 * a process of its own; the card is pulled by stopping its vpcd bridge, as a
 * reader sees a card go. Needs root for pcscd's private namespaces.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { ScHsmProvider, VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { Secret } from '../../../main/secret.ts';
import { createDkekShare, domainStatus, importDkekShareFile, readShareFile, SHARE_IMPORT_KIND } from '../../../main/ca/key-domain.ts';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../support/card-process.ts';

const PIN = '648219';
const PASSWORD = 'cara-password-31';
// Enough rounds that the derivation outlasts pulling the card (a message to the card's process and back), few enough to keep the test short.
const ROUNDS = { iterations: 300_000 };
const isRoot = process.getuid?.() === 0;

describe('a card pulled from its reader while a share file is opened', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let home: string;
  let state: string;
  let card: CardProcess | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-domain-pulled-'));
    home = join(work, 'home');
    state = join(work, 'custodian.vsc');
    await createInitializedCard(state, PIN, 'Custodian card', { dkekShares: 2 });
    card = await startCardProcess(state);
  });

  after(async () => {
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('ends TOKEN_REMOVED with nothing imported or journaled as imported, and the same file imports whole once the card is back', async () => {
    let custos = Custos.open({ dataDir: home, operator: 'ceremony', providers: [new ScHsmProvider()] });
    let shareFile = '';
    try {
      const made = await createDkekShare(custos.ctx, { custodian: 'Cara', password: Secret.fromString(PASSWORD), passwordRepeat: Secret.fromString(PASSWORD) }, ROUNDS);
      shareFile = made.path;
      const token = (await custos.tokens.list()).find((t) => t.info.reader === card!.ready.readerName);
      assert.ok(token, 'the card is listed in its reader');
      await custos.login(token.id, Secret.fromString(PIN));
      assert.equal((await domainStatus(custos.ctx, token.id)).importedShares, 0);

      let pulled: Promise<void> | undefined;
      let pulledAt = 0;
      const outcome = await importDkekShareFile(custos.ctx, { tokenId: token.id, file: await readShareFile(shareFile), fileName: shareFile, password: Secret.fromString(PASSWORD) }, {
        ...ROUNDS,
        // The derivation has begun: the custodian's card leaves the reader now.
        onProgress: () => { pulled ??= card!.act('stop-bridge').then(() => { pulledAt = Date.now(); }); },
      }).then(() => undefined, (e: unknown) => e);
      const settledAt = Date.now();
      await pulled;
      assert.ok(pulledAt > 0 && pulledAt <= settledAt, 'the card was out before the import ended');
      assert.ok(isCustosError(outcome) && outcome.code === 'TOKEN_REMOVED', `TOKEN_REMOVED, not ${String(outcome)}`);
      assert.ok(!outcome.message.includes(PASSWORD) && !JSON.stringify(outcome.details).includes(PASSWORD), 'no password in the error');
      assert.equal(custos.journal.read().filter((e) => e.kind.startsWith(SHARE_IMPORT_KIND)).length, 0, 'no import was begun, so none is left open');
    } finally {
      await custos.close();
    }
    await card!.stop();
    card = undefined;

    // The card back, in a reader of this process: it holds no share, and the same file goes in whole.
    custos = Custos.open({ dataDir: home, operator: 'ceremony', providers: [new VirtualScHsmProvider([state])] });
    try {
      const [token] = await custos.tokens.list();
      assert.ok(token);
      await custos.login(token.id, Secret.fromString(PIN));
      assert.equal((await domainStatus(custos.ctx, token.id)).importedShares, 0, 'nothing half-imported');
      const imported = await importDkekShareFile(custos.ctx, { tokenId: token.id, file: await readShareFile(shareFile), fileName: shareFile, password: Secret.fromString(PASSWORD) }, ROUNDS);
      assert.equal(imported.importedShares, 1);
      assert.equal(imported.totalShares, 2);
      assert.equal(imported.shares[0]?.shareKcv, imported.shareKcv);
      assert.ok(!JSON.stringify(custos.journal.read()).includes(PASSWORD), 'no password in the journal');
    } finally {
      await custos.close();
    }
  });
});
