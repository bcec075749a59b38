import type { z } from 'zod';
import type { KeySpec, RequestKeySpec } from '../../../main/api/contract.ts';

export type KeySpecValue = z.output<typeof KeySpec>;

export const KEY_SPEC_CHOICES: readonly { id: string; title: string; spec: KeySpecValue }[] = [
  { id: 'ec-P-256', title: 'EC P-256', spec: { kind: 'ec', curve: 'P-256' } },
  { id: 'ec-P-384', title: 'EC P-384', spec: { kind: 'ec', curve: 'P-384' } },
  { id: 'ec-P-521', title: 'EC P-521', spec: { kind: 'ec', curve: 'P-521' } },
  { id: 'rsa-2048', title: 'RSA 2048', spec: { kind: 'rsa', bits: 2048 } },
  { id: 'rsa-3072', title: 'RSA 3072', spec: { kind: 'rsa', bits: 3072 } },
  { id: 'rsa-4096', title: 'RSA 4096', spec: { kind: 'rsa', bits: 4096 } },
];

export function describeKeySpec(spec: KeySpecValue | z.output<typeof RequestKeySpec>): string {
  return spec.kind === 'ec' ? `EC ${spec.curve}` : `RSA ${spec.bits}`;
}
