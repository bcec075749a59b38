// Login decisions taken from the token flags. A real token cannot be put in its
// final-try state on demand (SoftHSM never gets there), so these run on
// FakePkcs11Module, a recording stand-in for the few PKCS#11 calls a token makes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Mechanism, SessionInfo, SlotInfo, Template, TemplateResult, TokenInfo } from 'pkcs11js';
import { isCustosError } from '../../../../main/errors/index.ts';
import { CK, CKS_RW_USER_FUNCTIONS, type Handle, type Pkcs11Api } from '../../../../main/hsm/pkcs11/api.ts';
import { Pkcs11Token } from '../../../../main/hsm/pkcs11/index.ts';
import { changeUserPin, unblockUserPin } from '../../../../main/hsm/pin-change.ts';
import { Journal } from '../../../../main/journal/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../../../main/secret.ts';

const CKS_RW_PUBLIC_SESSION = 2;
const READY = CK.CKF_TOKEN_INITIALIZED | CK.CKF_USER_PIN_INITIALIZED | CK.CKF_LOGIN_REQUIRED;
const PIN = '246810';

/** A fake PKCS#11 module with one token; it records every call by name. */
class FakePkcs11Module implements Pkcs11Api {
  readonly calls: string[] = [];
  flags: number;
  loggedIn = false;
  /** Flags the token sets after a wrong PIN. */
  flagsAfterWrongPin: number;

  constructor(flags: number, flagsAfterWrongPin = flags) {
    this.flags = flags;
    this.flagsAfterWrongPin = flagsAfterWrongPin;
  }

  C_GetSlotList(): Handle[] { this.calls.push('C_GetSlotList'); return [Buffer.alloc(8)]; }
  C_GetSlotInfo(): SlotInfo {
    this.calls.push('C_GetSlotInfo');
    return { slotDescription: 'Fake reader', manufacturerID: 'Fake', flags: 0, hardwareVersion: { major: 1, minor: 0 }, firmwareVersion: { major: 1, minor: 0 } };
  }
  C_GetTokenInfo(): TokenInfo {
    this.calls.push('C_GetTokenInfo');
    return {
      label: 'Fake CA token                   ', manufacturerID: 'Fake', model: 'Fake HSM', serialNumber: '0001', flags: this.flags,
      maxSessionCount: 0, sessionCount: 0, maxRwSessionCount: 0, rwSessionCount: 0, maxPinLen: 16, minPinLen: 6,
      hardwareVersion: { major: 1, minor: 0 }, firmwareVersion: { major: 1, minor: 0 }, utcTime: '',
      totalPublicMemory: 0, freePublicMemory: 0, totalPrivateMemory: 0, freePrivateMemory: 0,
    };
  }
  C_GetMechanismList(): number[] { this.calls.push('C_GetMechanismList'); return [CK.CKM_ECDSA, CK.CKM_EC_KEY_PAIR_GEN]; }
  C_OpenSession(): Handle { this.calls.push('C_OpenSession'); return Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]); }
  C_CloseSession(): void { this.calls.push('C_CloseSession'); }
  C_GetSessionInfo(): SessionInfo {
    this.calls.push('C_GetSessionInfo');
    return { slotID: Buffer.alloc(8), state: this.loggedIn ? CKS_RW_USER_FUNCTIONS : CKS_RW_PUBLIC_SESSION, flags: 0, deviceError: 0 };
  }
  C_Login(_session: Handle, _userType: number, pin?: string): void {
    this.calls.push('C_Login');
    if (pin !== PIN) {
      this.flags = this.flagsAfterWrongPin;
      throw new CK.Pkcs11Error('CKR_PIN_INCORRECT', CK.CKR_PIN_INCORRECT, 'C_Login');
    }
    this.loggedIn = true;
    this.flags &= ~(CK.CKF_USER_PIN_COUNT_LOW | CK.CKF_USER_PIN_FINAL_TRY);
  }
  C_Logout(): void { this.calls.push('C_Logout'); this.loggedIn = false; }
  C_SetPIN(): void { this.calls.push('C_SetPIN'); }
  C_InitPIN(): void { this.calls.push('C_InitPIN'); }
  C_FindObjectsInit(_s: Handle, _t: Template): void { throw new Error('not used by login'); }
  C_FindObjects(): Handle[] { throw new Error('not used by login'); }
  C_FindObjectsFinal(): void { throw new Error('not used by login'); }
  C_GetAttributeValue(): TemplateResult { throw new Error('not used by login'); }
  C_SetAttributeValue(): void { throw new Error('not used by login'); }
  C_GenerateKeyPairAsync(): Promise<never> { throw new Error('not used by login'); }
  C_SignInit(_s: Handle, _m: Mechanism, _k: Handle): void { throw new Error('not used by login'); }
  C_SignAsync(): Promise<Buffer> { throw new Error('not used by login'); }
}

function open(module: FakePkcs11Module): Pkcs11Token {
  return Pkcs11Token.open({ api: module, slot: Buffer.alloc(8) });
}

describe('Pkcs11Token login', () => {
  it('reads the PIN state from the flags when opened, before any login', () => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_COUNT_LOW);
    const token = open(module);
    assert.deepEqual(token.info.pinState, { initialized: true, countLow: true, finalTry: false, locked: false });
    assert.equal(token.info.label, 'Fake CA token');
    assert.ok(!module.calls.includes('C_Login'));
  });

  it('refuses with PIN_FINAL_TRY and sends no PIN when the token is on its final try', async () => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_COUNT_LOW | CK.CKF_USER_PIN_FINAL_TRY);
    const token = open(module);
    await assert.rejects(token.login(Secret.fromString(PIN)), (e: unknown) => isCustosError(e) && e.code === 'PIN_FINAL_TRY');
    assert.ok(!module.calls.includes('C_Login'));
  });

  it('spends the final try when the person confirms it', async () => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_FINAL_TRY);
    const token = open(module);
    await token.login(Secret.fromString(PIN), { confirmFinalTry: true });
    assert.equal(module.calls.filter((c) => c === 'C_Login').length, 1);
    assert.equal(token.info.loggedIn, true);
  });

  it('refuses with PIN_BLOCKED and sends no PIN when the PIN is locked, even if confirmed', async () => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_LOCKED);
    const token = open(module);
    await assert.rejects(token.login(Secret.fromString(PIN), { confirmFinalTry: true }),
      (e: unknown) => isCustosError(e) && e.code === 'PIN_BLOCKED');
    assert.ok(!module.calls.includes('C_Login'));
  });

  it('refuses with TOKEN_NOT_INITIALIZED and sends no PIN when no user PIN is set', async () => {
    const module = new FakePkcs11Module(CK.CKF_TOKEN_INITIALIZED);
    await assert.rejects(open(module).login(Secret.fromString(PIN)), (e: unknown) => isCustosError(e) && e.code === 'TOKEN_NOT_INITIALIZED');
    assert.ok(!module.calls.includes('C_Login'));
  });

  it('says after a wrong PIN that the next wrong one blocks it, reading the flags again', async () => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_COUNT_LOW, READY | CK.CKF_USER_PIN_COUNT_LOW | CK.CKF_USER_PIN_FINAL_TRY);
    const token = open(module);
    await assert.rejects(token.login(Secret.fromString('999999')), (e: unknown) => {
      assert.ok(isCustosError(e));
      assert.equal(e.code, 'PIN_INCORRECT');
      assert.match(e.message, /One more wrong PIN will block it/);
      return true;
    });
    assert.equal(token.info.pinState.finalTry, true);
    // The next attempt is then refused before sending anything.
    const logins = module.calls.filter((c) => c === 'C_Login').length;
    await assert.rejects(token.login(Secret.fromString(PIN)), (e: unknown) => isCustosError(e) && e.code === 'PIN_FINAL_TRY');
    assert.equal(module.calls.filter((c) => c === 'C_Login').length, logins);
  });

  it('says PIN_BLOCKED when the wrong PIN was the last try', async () => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_FINAL_TRY, READY | CK.CKF_USER_PIN_LOCKED);
    const token = open(module);
    await assert.rejects(token.login(Secret.fromString('999999'), { confirmFinalTry: true }),
      (e: unknown) => isCustosError(e) && e.code === 'PIN_BLOCKED');
    assert.equal(token.info.pinState.locked, true);
  });
});

describe('Pkcs11Token PIN change and unblock, on their final tries', () => {
  const withJournal = async (run: (journal: Journal) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-p11-pin-'));
    const journal = Journal.open({ dir, operator: 'unit' });
    try { await run(journal); } finally { journal.close(); rmSync(dir, { recursive: true, force: true }); }
  };
  const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;

  it('reads the SO-PIN\'s own count from the CKF_SO_PIN_* flags, without a try', async () => {
    const module = new FakePkcs11Module(READY | CK.CKF_SO_PIN_COUNT_LOW | CK.CKF_SO_PIN_FINAL_TRY);
    assert.deepEqual(await open(module).soPinState(), { initialized: true, countLow: true, finalTry: true, locked: false });
    assert.ok(!module.calls.includes('C_Login'));
  });

  it('never sends the SO-PIN on its final try without confirmation, and sends it once confirmed', () => withJournal(async (journal) => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_LOCKED | CK.CKF_SO_PIN_FINAL_TRY);
    const token = open(module);
    await assert.rejects(unblockUserPin(journal, token, Secret.fromString('12345678'), Secret.fromString('135790')), code('PIN_FINAL_TRY'));
    assert.ok(!module.calls.includes('C_Login') && !module.calls.includes('C_InitPIN'), 'nothing was sent');
    await unblockUserPin(journal, token, Secret.fromString(PIN), Secret.fromString('135790'), { confirmFinalTry: true });
    assert.deepEqual(module.calls.filter((c) => ['C_Login', 'C_InitPIN', 'C_Logout'].includes(c)), ['C_Login', 'C_InitPIN', 'C_Logout']);
  }));

  it('refuses to try a blocked SO-PIN at all: SO_PIN_BLOCKED, it cannot be reset', () => withJournal(async (journal) => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_LOCKED | CK.CKF_SO_PIN_LOCKED);
    await assert.rejects(unblockUserPin(journal, open(module), Secret.fromString('12345678'), Secret.fromString('135790'), { confirmFinalTry: true }),
      (e: unknown) => code('SO_PIN_BLOCKED')(e) && /cannot be reset/.test((e as Error).message));
    assert.ok(!module.calls.includes('C_Login'));
  }));

  it('never sends the old PIN on the user PIN\'s final try without confirmation', () => withJournal(async (journal) => {
    const module = new FakePkcs11Module(READY | CK.CKF_USER_PIN_FINAL_TRY);
    const token = open(module);
    await assert.rejects(changeUserPin(journal, token, Secret.fromString(PIN), Secret.fromString('135790')), code('PIN_FINAL_TRY'));
    assert.ok(!module.calls.includes('C_SetPIN'));
    await changeUserPin(journal, token, Secret.fromString(PIN), Secret.fromString('135790'), { confirmFinalTry: true });
    assert.equal(module.calls.filter((c) => c === 'C_SetPIN').length, 1);
  }));
});
