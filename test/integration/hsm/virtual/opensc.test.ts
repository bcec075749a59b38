/**
 * OpenSC's own tools (opensc-tool, sc-hsm-tool, pkcs11-tool with
 * opensc-pkcs11.so) against the virtual SmartCard-HSM through a private
 * pcscd + vpcd on loopback: the proof that the card speaks the real protocol.
 * The card is served from this process, so every tool runs asynchronously.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { startPcscd, type Pcscd } from '../../../support/pcscd.ts';
import { selectApplet, send, USER_PIN } from '../../../unit/hsm/virtual/card-helpers.ts';
import { createCustodian } from '../../../unit/hsm/virtual/custodian.ts';

const MODULE = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
const SO_PIN = '3537363231383830';
const PIN = '648219';
const TOOL_TIMEOUT_MS = 120_000;

interface Run { readonly code: number; readonly out: string }

let dir: string;
let card: VirtualCard;
let pcscd: Pcscd;

function tool(command: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env: pcscd.env, timeout: TOOL_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function ok(command: string, args: readonly string[]): Promise<string> {
  const run = await tool(command, args);
  assert.equal(run.code, 0, `${command} ${args.join(' ')} failed:\n${run.out}`);
  return run.out;
}

const p11 = (...args: string[]): Promise<string> => ok('pkcs11-tool', ['--module', MODULE, ...args]);

async function exportPublicKeyPem(id: string): Promise<string> {
  const der = join(dir, `pub-${id}.der`);
  await p11('--read-object', '--type', 'pubkey', '--id', id, '--output-file', der);
  const pem = join(dir, `pub-${id}.pem`);
  await ok('openssl', ['pkey', '-pubin', '-inform', 'DER', '-in', der, '-out', pem]);
  return pem;
}

async function signAndVerify(id: string, mechanism: string, opensslOptions: string[] = []): Promise<void> {
  const data = join(dir, 'message.txt');
  const signature = join(dir, `sig-${id}-${mechanism}`);
  writeFileSync(data, `custodian ceremony message for key ${id}\n`);
  await p11('--login', '--pin', PIN, '--sign', '--id', id, '--mechanism', mechanism, '--input-file', data,
    '--output-file', signature, ...(mechanism.startsWith('ECDSA') ? ['--signature-format', 'openssl'] : []));
  const out = await ok('openssl', ['dgst', '-sha256', ...opensslOptions, '-verify', await exportPublicKeyPem(id), '-signature', signature, data]);
  assert.match(out, /Verified OK/);
}

describe('OpenSC tools accept the virtual SmartCard-HSM through pcscd and vpcd', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-opensc-'));
    card = await VirtualCard.create(join(dir, 'card.state'), { label: 'opensc test' });
    pcscd = await startPcscd({ card });
  });

  after(async () => {
    await pcscd?.stop();
    await card?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is named a SmartCard-HSM by opensc-tool', async () => {
    assert.match(await ok('opensc-tool', ['-n']), /SmartCard-HSM/);
  });

  it('opens no vpcd port in the host network namespace: vpcd listens only inside pcscd\'s own', async () => {
    const listening = await ok('ss', ['-Hltn']);
    assert.doesNotMatch(listening, new RegExp(`:${pcscd.port}\\b`));
  });

  it('is initialised by sc-hsm-tool with one DKEK share and shows its PIN counters', async () => {
    await ok('sc-hsm-tool', ['--initialize', '--so-pin', SO_PIN, '--pin', PIN, '--dkek-shares', '1', '--label', 'Custos']);
    const info = await ok('sc-hsm-tool', []);
    assert.match(info, /User PIN tries left\s*:\s*3/);
    assert.match(info, /SO-PIN tries left\s*:\s*15/);
    assert.match(info, /DKEK shares\s*:\s*1/);
    assert.match(info, /1 share\(s\) still missing/);
  });

  it('imports a DKEK share created by sc-hsm-tool and reports the complete DKEK with its KCV', async () => {
    const share = join(dir, 'share.pbe');
    await ok('sc-hsm-tool', ['--create-dkek-share', share, '--password', 'rehearsal-share-password']);
    assert.equal(readFileSync(share).length, 64);
    const out = await ok('sc-hsm-tool', ['--import-dkek-share', share, '--password', 'rehearsal-share-password']);
    assert.match(out, /DKEK shares\s*:\s*1/);
    assert.match(out, /DKEK key check value\s*:\s*[0-9A-F]{16}/i);
    assert.doesNotMatch(out, /still missing/);
  });

  it('lists a PKCS#11 token with the serial from the device certificate', async () => {
    const out = await p11('--list-slots');
    assert.match(out, /token label\s*:\s*Custos/);
    assert.ok(out.includes(`serial num         : ${card.serial}`), out);
  });

  it('generates an EC P-256 key pair with pkcs11-tool whose ECDSA signatures openssl verifies', async () => {
    await p11('--login', '--pin', PIN, '--keypairgen', '--key-type', 'EC:prime256v1', '--id', '01', '--label', 'ec-p256');
    await signAndVerify('01', 'ECDSA-SHA256');
  });

  it('signs a hash given by the host with plain ECDSA (card algorithm 70)', async () => {
    const data = join(dir, 'message-ecdsa.txt');
    const hash = join(dir, 'message-ecdsa.sha256');
    const signature = join(dir, 'sig-ecdsa-raw');
    writeFileSync(data, 'prehashed message\n');
    await ok('openssl', ['dgst', '-sha256', '-binary', '-out', hash, data]);
    await p11('--login', '--pin', PIN, '--sign', '--id', '01', '--mechanism', 'ECDSA', '--input-file', hash, '--output-file', signature, '--signature-format', 'openssl');
    const out = await ok('openssl', ['dgst', '-sha256', '-verify', await exportPublicKeyPem('01'), '-signature', signature, data]);
    assert.match(out, /Verified OK/);
  });

  it('generates an RSA-2048 key pair whose PKCS#1 v1.5 and PSS signatures openssl verifies', async () => {
    await p11('--login', '--pin', PIN, '--keypairgen', '--key-type', 'RSA:2048', '--id', '02', '--label', 'rsa-2048');
    await signAndVerify('02', 'SHA256-RSA-PKCS');
    await signAndVerify('02', 'SHA256-RSA-PKCS-PSS', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']);
  });

  it('decrypts with the RSA key (card algorithm 21) what openssl encrypted to its public key', async () => {
    const plain = join(dir, 'secret.txt');
    const cipher = join(dir, 'secret.enc');
    const decrypted = join(dir, 'secret.dec');
    writeFileSync(plain, 'session key material');
    await ok('openssl', ['pkeyutl', '-encrypt', '-pubin', '-inkey', await exportPublicKeyPem('02'), '-in', plain, '-out', cipher]);
    await p11('--login', '--pin', PIN, '--decrypt', '--id', '02', '--mechanism', 'RSA-PKCS', '--input-file', cipher, '--output-file', decrypted);
    assert.equal(readFileSync(decrypted, 'utf8'), 'session key material');
  });

  it('wraps a key with sc-hsm-tool and unwraps it into another slot, where it signs for the original public key', async () => {
    const wky = join(dir, 'key1.wky');
    await ok('sc-hsm-tool', ['--wrap-key', wky, '--key-reference', '1', '--pin', PIN]);
    assert.equal(readFileSync(wky)[0], 0x30);
    await ok('sc-hsm-tool', ['--unwrap-key', wky, '--key-reference', '5', '--pin', PIN, '--force']);
    // The unwrapped key carries the same CKA_ID as key 1, so it is driven directly on the card.
    await selectApplet(card);
    assert.equal((await send(card, 0x00, 0x20, 0x00, 0x81, USER_PIN)).sw, 0x9000);
    const message = Buffer.from('signed by the restored key');
    const signed = await send(card, 0x80, 0x68, 0x05, 0x73, message, 512);
    assert.equal(signed.sw, 0x9000);
    const publicKey = createPublicKey({ key: readFileSync(join(dir, 'pub-01.der')), format: 'der', type: 'spki' });
    assert.ok(verifySignature('sha256', message, publicKey, signed.data));
    await selectApplet(card);
  });

  it('passes pkcs11-tool --test with the user PIN', async () => {
    const out = await p11('--test', '--login', '--pin', PIN);
    assert.match(out, /No errors/);
  });

  it('refuses re-initialisation with a wrong SO-PIN and spends an SO-PIN try', async () => {
    await tool('sc-hsm-tool', ['--initialize', '--so-pin', '0102030405060708', '--pin', PIN]);
    assert.match(await ok('sc-hsm-tool', []), /SO-PIN tries left\s*:\s*14/);
    // The card kept its keys: key 1 still signs.
    await signAndVerify('01', 'ECDSA-SHA256');
  });

  it('reports public-key authentication status after initialisation for 2 of 3 keys', async () => {
    await ok('sc-hsm-tool', ['--initialize', '--so-pin', SO_PIN, '--pin', PIN, '--public-key-auth', '3', '--required-pub-keys', '2']);
    const out = await ok('sc-hsm-tool', ['--public-key-auth-status']);
    assert.match(out, /Number of public keys:\s*3/);
    assert.match(out, /Missing public keys:\s*3/);
    assert.match(out, /Required pubkeys for auth:\s*2/);
    assert.match(out, /Authenticated public keys:\s*0/);
  });

  it('registers custodian keys exported from other virtual cards with sc-hsm-tool --register-public-key', async () => {
    for (const name of ['custodian-a', 'custodian-b']) {
      const custodian = await createCustodian(dir, name);
      const file = join(dir, `${name}.pka`);
      writeFileSync(file, custodian.exportFile);
      await custodian.card.close();
      await ok('sc-hsm-tool', ['--register-public-key', file]);
    }
    const out = await ok('sc-hsm-tool', ['--public-key-auth-status']);
    assert.match(out, /Missing public keys:\s*1/);
  });
});
