/** Real artifacts of every kind, made by OpenSSL in a temp dir, for the format tests. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTlv } from '../../../../main/pki/cvc/tlv.ts';

export interface Fixtures {
  readonly dir: string;
  /** file name → bytes */
  readonly files: Readonly<Record<string, Uint8Array>>;
  remove(): void;
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * CV certificates and requests are laid out as TR-03110 part 3 appendix C
 * describes (tags and nesting); their values are dummies, since only the
 * structure is under test and no tool here makes CVCs.
 */
function cvcFixtures(): Record<string, Uint8Array> {
  const t = (tag: number, ...v: (Uint8Array | number[])[]) => encodeTlv(tag, v.length === 1 && !(v[0] instanceof Uint8Array) ? Uint8Array.from(v[0] as number[]) : v.map((x) => (x instanceof Uint8Array ? x : Uint8Array.from(x))));
  const ascii = (s: string) => Array.from(Buffer.from(s));
  const publicKey = t(0x7f49, t(0x06, [0x04, 0x00, 0x7f, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x03]), t(0x86, [0x04, ...new Array(64).fill(1)]));
  const signature = t(0x5f37, new Array(64).fill(2));
  const certBody = t(0x7f4e, t(0x5f29, [0]), t(0x42, ascii('DECA00001')), publicKey, t(0x5f20, ascii('DETERM00001')),
    t(0x7f4c, t(0x06, [0x04, 0x00, 0x7f, 0x00, 0x07, 0x03, 0x01, 0x02, 0x02]), t(0x53, [0x00])),
    t(0x5f25, [2, 6, 1, 1, 2, 4]), t(0x5f24, [2, 9, 1, 1, 2, 4]));
  const reqBody = t(0x7f4e, t(0x5f29, [0]), publicKey, t(0x5f20, ascii('DETERM00002')));
  const request = t(0x7f21, reqBody, signature);
  return {
    'device.cvcert': t(0x7f21, certBody, signature),
    'plain.cvreq': request,
    'authenticated.cvreq': t(0x67, request, t(0x42, ascii('DECA00001')), signature),
  };
}

export function makeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'custos-formats-'));
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'root.key', '-out', 'root.pem',
    '-subj', '/CN=Formats Root', '-days', '365', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=Formats Leaf');
  openssl(dir, 'x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '30', '-out', 'leaf.pem');
  openssl(dir, 'x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-days', '30', '-out', 'leaf-v1.pem', '-set_serial', '7', '-extfile', '/dev/null');
  openssl(dir, 'x509', '-in', 'root.pem', '-outform', 'DER', '-out', 'root.der');
  openssl(dir, 'x509', '-in', 'leaf.pem', '-outform', 'DER', '-out', 'leaf.der');
  openssl(dir, 'req', '-in', 'leaf.csr', '-outform', 'DER', '-out', 'leaf.csr.der');
  // A CRL from `openssl ca`, so detection is not only tested on Custos' own CRLs.
  execFileSync('sh', ['-c', 'mkdir -p db && : > db/index.txt && echo 01 > db/crlnumber && printf "[ca]\\ndefault_ca=c\\n[c]\\ndatabase=db/index.txt\\ncrlnumber=db/crlnumber\\ndefault_md=sha256\\ndefault_crl_days=7\\n" > ca.cnf'], { cwd: dir });
  openssl(dir, 'ca', '-config', 'ca.cnf', '-gencrl', '-keyfile', 'root.key', '-cert', 'root.pem', '-out', 'root.crl.pem');
  openssl(dir, 'crl', '-in', 'root.crl.pem', '-outform', 'DER', '-out', 'root.crl');
  openssl(dir, 'crl2pkcs7', '-nocrl', '-certfile', 'leaf.pem', '-certfile', 'root.pem', '-out', 'chain.p7b.pem');
  openssl(dir, 'pkcs7', '-in', 'chain.p7b.pem', '-outform', 'DER', '-out', 'chain.p7b');
  openssl(dir, 'pkey', '-in', 'leaf.key', '-outform', 'DER', '-out', 'leaf.p8.der');
  openssl(dir, 'pkey', '-in', 'root.key', '-traditional', '-out', 'root.ec.key');
  openssl(dir, 'pkey', '-in', 'root.key', '-traditional', '-outform', 'DER', '-out', 'root.ec.der');
  openssl(dir, 'pkey', '-in', 'leaf.key', '-traditional', '-outform', 'DER', '-out', 'leaf.rsa.der');
  openssl(dir, 'pkcs8', '-topk8', '-in', 'leaf.key', '-passout', 'pass:test', '-outform', 'DER', '-out', 'leaf.p8enc.der');
  const names = ['root.pem', 'root.der', 'leaf.pem', 'leaf.der', 'leaf-v1.pem', 'leaf.csr', 'leaf.csr.der', 'root.crl.pem', 'root.crl', 'chain.p7b.pem', 'chain.p7b',
    'root.key', 'leaf.key', 'leaf.p8.der', 'root.ec.key', 'root.ec.der', 'leaf.rsa.der', 'leaf.p8enc.der'];
  const files: Record<string, Uint8Array> = { ...cvcFixtures() };
  for (const n of names) files[n] = new Uint8Array(readFileSync(join(dir, n)));
  return { dir, files, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
