/**
 * CVC dates (5F25 effective, 5F24 expiration): six bytes, one decimal digit each,
 * YYMMDD in UTC, years 2000–2099 (TR-03110 part 3 §D.2.1.3). The SmartCard-HSM root
 * carries 01 02 01 01 00 09 = 2012-11-09.
 */
import { CustosError } from '../../errors/index.ts';

export function encodeCvcDate(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 2000 || year > 2099) {
    throw new CustosError('INPUT_INVALID', 'A CV certificate date must lie between 2000-01-01 and 2099-12-31.', {});
  }
  const digits = `${String(year % 100).padStart(2, '0')}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`;
  return Uint8Array.from(digits, (c) => c.charCodeAt(0) - 0x30);
}

/** Decodes six digit bytes; a wrong length, a byte above 9 or an impossible day is CVC_DATE_INVALID. */
export function decodeCvcDate(bytes: Uint8Array, field: 'effectiveDate' | 'expirationDate'): Date {
  const bad = (): never => { throw new CustosError('CVC_DATE_INVALID', `The CV certificate's ${field} is not a YYMMDD date of six digit bytes (TR-03110 part 3 §D.2.1.3).`, { field }); };
  if (bytes.length !== 6 || bytes.some((b) => b > 9)) bad();
  const d = (i: number): number => bytes[i]! * 10 + bytes[i + 1]!;
  const year = 2000 + d(0);
  const month = d(2);
  const day = d(4);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) bad();
  return date;
}
