/**
 * The shipped HSM-cloning ceremony through the window's channels (the same
 * handlers the preload and the dev host serve) on the real core and two
 * virtual SmartCard-HSMs: the Backup HSM waits for the three DKEK shares the
 * CA HSM's domain was made of. The dkek.import step takes one custodian's
 * share per ceremony.runStep call, and its act waits between calls for the
 * next: a wrong password ends the act with its code and imports nothing, a
 * share file outside the medium is refused before it is read, and the step,
 * once the domain is complete, names every import in its journal entry. The
 * restore opens the Backup HSM with its own PIN, sent for it alone.
 *
 * Share files use 1,000 KDF rounds (CUSTOS_TEST_SHARE_FILE_ITERATIONS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appCoreOf, type AppCore } from '../../../electron/core.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { createDkekShare, domainStatus, importDkekShareFile, passwordFromShares, readShareFile, SHARE_FILE_ITERATIONS_ENV } from '../../../main/ca/key-domain.ts';
import { createRoot } from '../../../main/ca/root.ts';
import type { Input, Output } from '../../../main/api/contract.ts';
import { createLabelledCard } from '../../support/labelled-card.ts';

const PIN = '648219';
const PASSWORDS = ['first custodian pass', 'second custodian pass'];
const ITERATIONS = 1000;

interface Entry { seq: number; kind: string; data: Record<string, unknown> }

type Channel = 'ceremony.runStep' | 'ceremony.confirmStep' | 'ceremony.start' | 'ceremony.resume' | 'ceremony.abandon' | 'ceremony.shareStep' | 'export.pickFolder';

const codeOf = async (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: unknown) => (isCustosError(e) ? e.code : String(e)));

interface Room {
  readonly work: string;
  readonly media: string;
  readonly custos: Custos;
  readonly core: AppCore;
  readonly ids: { primary: string; backup: string };
  readonly shares: readonly string[];
  /** The third share's password shares: its prime and each holder's share. */
  readonly split: { prime: string; shares: { id: number; value: string }[] };
  call<C extends Channel>(channel: C, input: Input<C>): Promise<Output<C>>;
  journal(): Entry[];
}

/**
 * The room: the CA HSM, whose key domain is the three custodians' shares on
 * the medium and which holds the root "example-root", and the Backup HSM
 * waiting for those shares; the window's handlers, the medium picked.
 */
async function openRoom(): Promise<Room> {
  const work = mkdtempSync(join(tmpdir(), 'custos-ceremony-dkek-window-'));
  const media = join(work, 'medium');
  mkdirSync(media);
  {
    const states = { primary: join(work, 'primary.vsc'), backup: join(work, 'backup.vsc') };
    await createLabelledCard(states.primary, 'CA HSM', PIN, 3);
    await createLabelledCard(states.backup, 'Backup HSM', PIN, 3);
    const custos = Custos.open({ dataDir: join(work, 'home'), operator: 'ceremony-test', providers: [new VirtualScHsmProvider([states.primary, states.backup])], pcsc: false, rehearsal: true });
    const listed = await custos.tokens.list();
    const ids = { primary: listed.find((t) => t.info.label === 'CA HSM')!.id, backup: listed.find((t) => t.info.label === 'Backup HSM')!.id };
    const shares: string[] = [];
    // Three custodians' shares on the medium; the CA HSM's domain is made of them, and the root key on it.
    for (const [i, password] of PASSWORDS.slice(0, 2).entries()) {
      const made = await createDkekShare(custos.ctx, { custodian: `Custodian ${i + 1}`, password: Secret.fromString(password), passwordRepeat: Secret.fromString(password), directory: media }, { iterations: ITERATIONS });
      shares.push(made.path);
      await importDkekShareFile(custos.ctx, { tokenId: ids.primary, file: await readShareFile(made.path), fileName: made.fileName, password: Secret.fromString(password) }, { iterations: ITERATIONS });
    }
    // The third share's password was split 2-of-3 among its holders, as sc-hsm-tool --pwd-shares-* does.
    const third = await createDkekShare(custos.ctx, { custodian: 'Custodian 3', passwordShares: { threshold: 2, total: 3 }, directory: media }, { iterations: ITERATIONS });
    shares.push(third.path);
    const split = { prime: third.passwordShares!.prime, shares: third.passwordShares!.shares.map((x) => ({ ...x })) };
    await importDkekShareFile(custos.ctx, { tokenId: ids.primary, file: await readShareFile(third.path), fileName: third.fileName, password: passwordFromShares(split.prime, split.shares.slice(0, 2)) }, { iterations: ITERATIONS });
    await custos.login(ids.primary, Secret.fromString(PIN));
    const key = await custos.generateKey(ids.primary, { kind: 'ec', curve: 'P-384' }, 'example-root');
    await createRoot(custos.ctx, { tokenId: ids.primary, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'C=XX, O=Custos, CN=Example Root', name: 'example-root' });
    const core = appCoreOf(custos, { pickFolder: async () => media });
    const call = async <C extends Channel>(channel: C, input: Input<C>): Promise<Output<C>> => (core.handlers[channel] as (i: Input<C>) => Promise<Output<C>>)(input);
    await call('export.pickFolder', undefined);
    const journal = (): Entry[] => readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Entry);
    return { work, media, custos, core, ids, shares, split, call, journal };
  }
}

/** The room's performer and witnesses confirm the step the view waits on. */
async function confirmed(room: Room, view: Output<'ceremony.start'>): Promise<Output<'ceremony.start'>> {
  const step = view.steps[view.nextIndex]!;
  return room.call('ceremony.confirmStep', { ceremony: view.id, performer: 'Ada Admin', witnesses: ['Wanda Witness', 'Will Witness'].slice(0, step.witnesses) });
}

/** The ceremony begun, its first step (the tokens present) run and confirmed: the DKEK import is next. */
async function beginCloning(room: Room): Promise<Output<'ceremony.start'>> {
  const view = await room.call('ceremony.start', { script: { bundled: 'hsm-cloning.json' }, hsmTokenId: room.ids.primary, mediaDir: room.media });
  await room.call('ceremony.runStep', { ceremony: view.id });
  return confirmed(room, view);
}

before(() => { process.env[SHARE_FILE_ITERATIONS_ENV] = String(ITERATIONS); });
after(() => { delete process.env[SHARE_FILE_ITERATIONS_ENV]; });

describe('the HSM-cloning ceremony through the window\'s channels, its shares handed over one call at a time', () => {
  let room: Room;
  let work: string;
  let media: string;
  let custos: Custos;
  let ids: Room['ids'];
  let shares: readonly string[];
  let view: Output<'ceremony.start'>;
  const call = <C extends Channel>(channel: C, input: Input<C>): Promise<Output<C>> => room.call(channel, input);
  const journal = (): Entry[] => room.journal();
  const confirm = async (): Promise<void> => { view = await confirmed(room, view); };

  before(async () => {
    room = await openRoom();
    ({ work, media, custos, ids, shares } = room);
    view = await beginCloning(room);
  });

  after(async () => {
    await room?.core.close();
    if (room) rmSync(room.work, { recursive: true, force: true });
  });

  it('names the Backup HSM, the share files on the medium and the CA HSM\'s KCV for the import step', async () => {
    const step = await call('ceremony.shareStep', { ceremony: view.id });
    assert.equal(step.token.id, ids.backup);
    assert.deepEqual(step.files.map((f) => f.path), [...shares].sort());
    assert.equal(step.primaryKcv, (await domainStatus(custos.ctx, ids.primary)).kcv);
  });

  it('imports nothing on a wrong password (DKEK_SHARE_PASSWORD_WRONG) and leaves the step to be run again', async () => {
    const before = journal().length;
    assert.equal(await codeOf(call('ceremony.runStep', { ceremony: view.id, share: { file: { path: shares[0]! }, password: 'not the password' } })), 'DKEK_SHARE_PASSWORD_WRONG');
    assert.equal((await domainStatus(custos.ctx, ids.backup)).importedShares, 0);
    assert.equal(journal().slice(before).filter((e) => e.kind.startsWith('dkek.share.import')).length, 0, 'nothing reached the card');
    assert.equal(view.pending, undefined);
  });

  it('refuses a picked file that is no share file by its size (DKEK_SHARE_MALFORMED), importing nothing', async () => {
    const before = journal().length;
    assert.equal(await codeOf(call('ceremony.runStep', { ceremony: view.id, share: { file: { fileName: 'notes.pbe', contentBase64: Buffer.from('not a DKEK share at all').toString('base64') }, password: PASSWORDS[0]! } })), 'DKEK_SHARE_MALFORMED');
    assert.equal(journal().slice(before).filter((e) => e.kind.startsWith('dkek.share.import')).length, 0);
    assert.equal((await domainStatus(custos.ctx, ids.backup)).importedShares, 0);
  });

  it('refuses a share file named outside the medium (PATH_NOT_PERMITTED) before reading it', async () => {
    writeFileSync(join(work, 'elsewhere.pbe'), readFileSync(shares[0]!));
    assert.equal(await codeOf(call('ceremony.runStep', { ceremony: view.id, share: { file: { path: join(work, 'elsewhere.pbe') }, password: PASSWORDS[0]! } })), 'PATH_NOT_PERMITTED');
    assert.equal(await codeOf(call('ceremony.runStep', { ceremony: view.id, share: { file: { path: `${media}/../elsewhere.pbe` }, password: PASSWORDS[0]! } })), 'PATH_NOT_PERMITTED');
  });

  it('takes the three shares one call at a time (the second as a picked file\'s bytes, the third opened with password shares), the act waiting between them, and records every import with the step', async () => {
    let next = await call('ceremony.runStep', { ceremony: view.id, share: { file: { path: shares[0]! }, password: PASSWORDS[0]! } });
    assert.equal(next.pending, undefined, 'the act waits for share 2');
    assert.equal((await domainStatus(custos.ctx, ids.backup)).importedShares, 1);
    // Run without a share while the act waits: it says which share it waits for.
    assert.equal(await codeOf(call('ceremony.runStep', { ceremony: view.id })), 'CEREMONY_SHARE_NEEDED');
    next = await call('ceremony.runStep', { ceremony: view.id, share: { file: { fileName: 'share-2.pbe', contentBase64: readFileSync(shares[1]!).toString('base64') }, password: PASSWORDS[1]! } });
    assert.equal(next.pending, undefined, 'the act waits for share 3');
    assert.equal((await domainStatus(custos.ctx, ids.backup)).importedShares, 2);
    // The third opened with the password shares of two of its three holders (the first and the third).
    next = await call('ceremony.runStep', { ceremony: view.id, share: { file: { path: shares[2]! }, passwordShares: { prime: room.split.prime, shares: [room.split.shares[0]!, room.split.shares[2]!] } } });
    const kcv = (await domainStatus(custos.ctx, ids.primary)).kcv!;
    assert.ok(next.pending, 'the step is done and waits for the room');
    assert.ok(next.pending.shown.some((l) => l.includes(`KCV ${kcv}`)), next.pending.shown.join('\n'));
    view = next;
    await confirm();
    const entries = journal();
    const step = entries.filter((e) => e.kind === 'ceremony.step' && e.data['step'] === 'import-dkek').at(-1)!;
    const done = entries.filter((e) => e.kind === 'dkek.share.import.done');
    assert.equal(done.length, 6, 'three into each HSM');
    assert.ok(done.slice(3).every((d) => (step.data['actSeqs'] as number[]).includes(d.seq)), 'the step names the three imports into the Backup HSM');
    assert.equal(done.at(-1)!.data['kcvMatches'], true);
  });

  it('runs the rest of the script to its end, the restore opening the Backup HSM with its own PIN', async () => {
    await call('ceremony.runStep', { ceremony: view.id }).then((v) => { view = v; });
    await confirm();
    await call('ceremony.runStep', { ceremony: view.id }).then((v) => { view = v; });
    await confirm();
    const restore = view.steps[view.nextIndex]!;
    assert.deepEqual(restore.opens, [{ tokenId: ids.backup, label: 'Backup HSM' }]);
    assert.equal(await codeOf(call('ceremony.runStep', { ceremony: view.id })), 'PIN_REQUIRED');
    view = await call('ceremony.runStep', { ceremony: view.id, pins: [{ tokenId: ids.backup, pin: PIN }] });
    assert.ok(view.pending?.artifacts.some((a) => a.kind === 'key'));
    await confirm();
    view = await call('ceremony.runStep', { ceremony: view.id });
    await confirm();
    assert.equal(view.nextIndex, view.steps.length);
    const text = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');
    for (const secret of [...PASSWORDS, 'not the password']) assert.ok(!text.includes(secret), 'no password in the journal');
  });
});

describe('a DKEK-import step left waiting for its next share', () => {
  const rooms: Room[] = [];
  const PASSWORD_OF = (i: number): string => PASSWORDS[i]!;
  after(async () => {
    for (const room of rooms) {
      await room.core.close();
      rmSync(room.work, { recursive: true, force: true });
    }
  });

  it('resumed anew (the window opened again), asks only for the shares still outstanding, refuses the one already in, and completes the domain', async () => {
    const room = await openRoom();
    rooms.push(room);
    let view = await beginCloning(room);
    await room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[0]! }, password: PASSWORD_OF(0) } });
    assert.equal((await domainStatus(room.custos.ctx, room.ids.backup)).importedShares, 1);
    // The window is opened again: its ceremony is resumed with its script, and the act that waited is ended.
    view = await room.call('ceremony.resume', { script: { bundled: 'hsm-cloning.json' }, hsmTokenId: room.ids.primary, mediaDir: room.media });
    assert.equal(view.steps[view.nextIndex]!.id, 'import-dkek');
    // The share already in is refused, not imported twice (which would cancel it out).
    assert.equal(await codeOf(room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[0]! }, password: PASSWORD_OF(0) } })), 'DKEK_SHARE_ALREADY_IMPORTED');
    assert.equal((await domainStatus(room.custos.ctx, room.ids.backup)).importedShares, 1);
    await room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[1]! }, password: PASSWORD_OF(1) } });
    view = await room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[2]! }, passwordShares: { prime: room.split.prime, shares: room.split.shares.slice(1) } } });
    assert.ok(view.pending, 'the domain is complete and the step waits for the room');
    assert.equal((await domainStatus(room.custos.ctx, room.ids.backup)).kcv, (await domainStatus(room.custos.ctx, room.ids.primary)).kcv);
  });

  it('takes one share at a time: a second share sent while the first is being imported is refused (OPERATION_IN_PROGRESS), and the first goes in', async () => {
    const room = await openRoom();
    rooms.push(room);
    const view = await beginCloning(room);
    const [first, second] = await Promise.allSettled([
      room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[0]! }, password: PASSWORD_OF(0) } }),
      room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[1]! }, password: PASSWORD_OF(1) } }),
    ]);
    assert.equal(first.status, 'fulfilled');
    assert.equal(second.status === 'rejected' && isCustosError(second.reason) ? second.reason.code : second.status, 'OPERATION_IN_PROGRESS');
    const status = await domainStatus(room.custos.ctx, room.ids.backup);
    assert.equal(status.importedShares, 1);
    // The act waits for the second share again, handed over now.
    await room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[1]! }, password: PASSWORD_OF(1) } });
    assert.equal((await domainStatus(room.custos.ctx, room.ids.backup)).importedShares, 2);
  });

  it('abandoned while it waits, imports nothing more: a share sent after is refused (CEREMONY_ENDED) and the card keeps its count', async () => {
    const room = await openRoom();
    rooms.push(room);
    const view = await beginCloning(room);
    await room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[0]! }, password: PASSWORD_OF(0) } });
    await room.call('ceremony.abandon', { ceremony: view.id, reason: 'the second custodian did not come' });
    const before = room.journal().length;
    assert.equal(await codeOf(room.call('ceremony.runStep', { ceremony: view.id, share: { file: { path: room.shares[1]! }, password: PASSWORD_OF(1) } })), 'CEREMONY_ENDED');
    assert.equal(room.journal().slice(before).filter((e) => e.kind.startsWith('dkek.share.import')).length, 0);
    assert.equal((await domainStatus(room.custos.ctx, room.ids.backup)).importedShares, 1);
  });
});
