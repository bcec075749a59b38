/**
 * Certificate requests made by `openssl req` for the x509 tests: real
 * requests from the tool people use, not bytes Custos wrote itself.
 */
import { runTool } from '../../../support/openssl.ts';

export type RequestKey = 'rsa:1024' | 'rsa:2048' | 'rsa:3072' | 'rsa:4096' | 'P-256' | 'P-384' | 'P-521' | 'secp256k1' | 'ed25519';

export interface OpensslRequest {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly keyPem: string;
}

function newKeyArgs(key: RequestKey): string[] {
  if (key.startsWith('rsa:')) return ['-newkey', key];
  if (key === 'ed25519') return ['-newkey', 'ed25519'];
  return ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${key}`];
}

/** A request from `openssl req -new` with a fresh key; extensions as `-addext` values; utf8 reads the subject as UTF-8 (OpenSSL's default is Latin-1). */
export async function opensslRequest(key: RequestKey, subject: string, addext: readonly string[] = [], { utf8 = false } = {}): Promise<OpensslRequest> {
  const args = ['req', '-new', ...newKeyArgs(key), '-nodes', '-keyout', 'key.pem', ...(utf8 ? ['-utf8'] : []), '-subj', subject,
    ...addext.flatMap((e) => ['-addext', e]), '-out', 'req.pem'];
  const made = await runTool('openssl', args, { outputs: ['key.pem', 'req.pem'] });
  if (made.code !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
  const pem = Buffer.from(made.outputs['req.pem']!).toString();
  const der = await runTool('openssl', ['req', '-in', 'req.pem', '-outform', 'DER'], { files: { 'req.pem': pem } });
  if (der.code !== 0) throw new Error(`openssl req -outform DER failed: ${der.stderr}`);
  return { der: new Uint8Array(der.stdoutBytes), pem, keyPem: Buffer.from(made.outputs['key.pem']!).toString() };
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
