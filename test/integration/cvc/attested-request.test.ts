/**
 * A key generated on a virtual SmartCard-HSM: the card answers with an
 * authenticated CV request, which Custos imports with the card's device chain
 * (EF 2F02) and shows attested by the rehearsal root, the chain's CHRs from
 * the root down to the device. Debian's cvc-print (OpenPACE 1.1.2) reads no
 * authenticated request (67) at all: it parses one with the length of the
 * --description file (cvc-print.c, print_cvc), so it is shown the request the
 * card signed with the new key (the inner 7F21), as exported beside it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { VirtualCard } from '../../../main/hsm/virtual/card.ts';
import { ScHsmCard } from '../../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { VIRTUAL_DICA_CHR, VIRTUAL_SRCA_CHR } from '../../../main/hsm/virtual/attestation.ts';
import { generateAttestedCvcRequest } from '../../../main/cvc/card-request.ts';
import { exportCvcRequest } from '../../../main/cvc/export.ts';
import { cvcStateOf } from '../../../main/cvc/state.ts';
import { decodeCvRequest } from '../../../main/pki/cvc/cvc.ts';
import { TEST_SO_PIN } from '../../support/card-process.ts';

const PIN = '648219';

describe('attested CV request from a key generated on a virtual SmartCard-HSM', () => {
  let dir: string;
  let custos: Custos;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-cvc-card-'));
    const vc = await VirtualCard.create(join(dir, 'card.vsc'), { label: 'Terminal card' });
    const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await card.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString(PIN) });
    await card.close();
    await vc.close();
    custos = Custos.open({ dataDir: join(dir, 'home'), pcsc: false, providers: [new VirtualScHsmProvider([join(dir, 'card.vsc')])] });
  });

  after(async () => {
    await custos.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the request attested by the rehearsal root, with the chain root → DICA → device, and cvc-print reads it', async () => {
    const [listed] = await custos.tokens.list();
    assert.ok(listed);
    await custos.login(listed.id, Secret.fromString(PIN));
    const { record, inspection } = await generateAttestedCvcRequest(custos.ctx, listed.id, { kind: 'ec', curve: 'P-256' }, 'terminal key');
    assert.equal(inspection.kind, 'authenticated');
    assert.equal(record.attestation, 'rehearsal');
    assert.equal(record.attestationPath[0], VIRTUAL_SRCA_CHR);
    assert.equal(record.attestationPath[1], VIRTUAL_DICA_CHR);
    assert.equal(record.attestationPath[2], record.outerCar);
    assert.ok(record.deviceChain && record.deviceChain.length > 0, 'the device chain is kept with the request');
    assert.equal(inspection.body.publicKey.description, 'EC P-256');
    assert.equal(cvcStateOf(custos.journal).requests.get(record.id)?.attestation, 'rehearsal');
    const kinds = custos.journal.read().map((e) => e.kind);
    assert.ok(kinds.indexOf('key.generate.intent') < kinds.indexOf('cvc.request.import'));
    const exported = await exportCvcRequest(custos.ctx, { request: record.id, directory: join(dir, 'out') });
    assert.deepEqual(readFileSync(exported.path), Buffer.from(record.raw), 'exported as the card made it');
    const innerFile = join(dir, 'inner.cvreq');
    writeFileSync(innerFile, decodeCvRequest(readFileSync(exported.path)).inner.raw);
    const printed = spawnSync('cvc-print', ['--csr', innerFile], { encoding: 'utf8' });
    assert.equal(printed.status, 0, `${printed.stdout}${printed.stderr}`);
    assert.match(printed.stdout, new RegExp(`CHR: ${record.chr}`));
    assert.match(printed.stdout, /certificate request verified/);
  });
});
