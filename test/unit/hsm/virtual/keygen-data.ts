/** GENERATE ASYMMETRIC KEY PAIR command data as OpenSC builds it (SC-HSM.md §4.9), for the unit tests. */
import { CVC_OID, DOMAIN_PARAMETERS, type CvcCurve } from '../../../../main/pki/cvc/cvc.ts';
import { oidToContent } from '../../../../main/pki/cvc/object-identifier.ts';
import { tlv } from './card-helpers.ts';

export function ecKeyRequest(curve: CvcCurve, chr = 'UTCUS12345600001'): Buffer {
  const d = DOMAIN_PARAMETERS[curve];
  const key = tlv(0x7f49, Buffer.concat([
    tlv(0x06, oidToContent(CVC_OID['id-TA-ECDSA-SHA-256'])),
    tlv(0x81, d.p), tlv(0x82, d.a), tlv(0x83, d.b), tlv(0x84, d.g), tlv(0x85, d.order), tlv(0x87, d.cofactor),
  ]));
  return Buffer.concat([tlv(0x5f29, Buffer.of(0)), tlv(0x42, Buffer.from('UTCA00001')), key, tlv(0x5f20, Buffer.from(chr))]);
}

export function rsaKeyRequest(bits: number, chr = 'UTCUS12345600001'): Buffer {
  const key = tlv(0x7f49, Buffer.concat([
    tlv(0x06, oidToContent(CVC_OID['id-TA-RSA-v1-5-SHA-256'])),
    tlv(0x82, Buffer.from([0x01, 0x00, 0x01])),
    tlv(0x02, Buffer.from([bits >> 8, bits & 0xff])),
  ]));
  return Buffer.concat([tlv(0x5f29, Buffer.of(0)), tlv(0x42, Buffer.from('UTCA00001')), key, tlv(0x5f20, Buffer.from(chr))]);
}
