/**
 * A custodian's virtual card for public-key authentication tests: a second
 * card that generates a brainpoolP256r1 key (the curve CardContact documents
 * for PKA keys) and exports it the way sc-hsm-tool --export-for-pub-key-auth
 * does: 30 { 67 request, device CVC, DICA CVC }.
 */
import { join } from 'node:path';
import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { decodeCvcChain } from '../../../../main/pki/cvc/cvc.ts';
import { encodeTlv } from '../../../../main/pki/cvc/tlv.ts';
import { initialize, login, selectApplet, send } from './card-helpers.ts';
import { ecKeyRequest } from './keygen-data.ts';

export interface Custodian {
  readonly card: VirtualCard;
  readonly chr: string;
  /** The authenticated request (67) of the custodian key, key id 1. */
  readonly request: Buffer;
  /** EF 2F02 of the custodian's card: device CVC || DICA CVC. */
  readonly deviceCertificates: Buffer;
  /** The sc-hsm-tool export file. */
  readonly exportFile: Uint8Array;
  /** Signs SHA-256(deviceChr || challenge) with the custodian key: r||s for EXTERNAL AUTHENTICATE. */
  authenticate(deviceChr: string, challenge: Uint8Array): Promise<Uint8Array>;
}

export async function createCustodian(dir: string, name: string): Promise<Custodian> {
  const card = await VirtualCard.create(join(dir, `${name}.state`));
  await selectApplet(card);
  await initialize(card);
  await login(card);
  const chr = `${card.serial}00001`;
  const generated = await send(card, 0x00, 0x46, 0x01, 0x00, ecKeyRequest('brainpoolP256r1', chr), 65536);
  if (generated.sw !== 0x9000) throw new Error(`custodian key generation answered ${generated.sw.toString(16)}`);
  const certificates = await send(card, 0x00, 0xb1, 0x2f, 0x02, Buffer.from('54020000', 'hex'), 65536);
  const [device, dica] = decodeCvcChain(certificates.data);
  const exportFile = encodeTlv(0x30, [generated.data, device!.raw, dica!.raw]);
  return {
    card, chr, request: generated.data, deviceCertificates: certificates.data, exportFile,
    async authenticate(deviceChr, challenge) {
      await login(card);
      const signed = await send(card, 0x80, 0x68, 0x01, 0x73, Buffer.concat([Buffer.from(deviceChr, 'latin1'), challenge]), 512);
      if (signed.sw !== 0x9000) throw new Error(`custodian signature answered ${signed.sw.toString(16)}`);
      return brainpoolP256r1.Signature.fromBytes(signed.data, 'der').toBytes('compact');
    },
  };
}
