/**
 * What one call of each core function on the issuance path costs, called in a
 * loop on real inputs from the benchmark's own CA: the answer to "where does
 * the time outside the token go", function by function, in ms per call.
 */
import { createHash, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../main/journal/index.ts';
import type { Token } from '../../main/hsm/token.ts';
import { parseCsrFile } from '../../main/pki/x509/csr.ts';
import { loadProfile } from '../../main/pki/x509/profiles.ts';
import { publicKeyFromSpki } from '../../main/pki/x509/keys.ts';
import { readIssuer } from '../../main/pki/x509/issuer.ts';
import { lintForSigning } from '../../main/pki/x509/lint.ts';
import { readCertificate, readTbs } from '../../main/pki/x509/tbs-reader.ts';
import { describeCertificate, describeReadTbs } from '../../main/pki/x509/preview.ts';
import { verifyIssued } from '../../main/pki/x509/sign.ts';
import { nodeVerifyParams } from '../../main/pki/x509/signature.ts';

export interface CallCost {
  readonly call: string;
  /** Where issueCertificate reaches it, and how often per certificate. */
  readonly perCertificate: string;
  readonly wallMs: number;
  readonly cpuMs: number;
}

export interface CoreCallInputs {
  readonly csrDer: Uint8Array;
  readonly issuerCertDer: Uint8Array;
  readonly issuerSpki: Uint8Array;
  readonly issuedCertDer: Uint8Array;
  readonly token: Token;
  readonly keySpkiSha256: string;
}

async function cost(call: string, perCertificate: string, iterations: number, fn: () => unknown): Promise<CallCost> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  const wallMs = (performance.now() - start) / iterations;
  const used = process.cpuUsage(cpu);
  return { call, perCertificate, wallMs, cpuMs: (used.user + used.system) / 1000 / iterations };
}

export async function measureCoreCalls(inputs: CoreCallInputs, iterations: number): Promise<CallCost[]> {
  const { csrDer, issuerCertDer, issuerSpki, issuedCertDer, token, keySpkiSha256 } = inputs;
  const issuer = readIssuer(issuerCertDer);
  const issued = readCertificate(issuedCertDer);
  const tbsDer = issued.der;
  const read = readTbs(tbsDer);
  const params = nodeVerifyParams(issued.certificate.signatureAlgorithm)!;
  const issuerKey = publicKeyFromSpki(issuerSpki);
  const signature = new Uint8Array(issued.certificate.signatureValue);
  const dir = mkdtempSync(join(tmpdir(), 'custos-bench-journal-'));
  const journal = Journal.open({ dir, operator: 'bench' });
  try {
    return [
      await cost('parseCsrFile (parse + CSR signature check)', 'import 1×, loadRequest 1×', iterations, () => parseCsrFile(csrDer)),
      await cost('loadProfile (read + parse the profile JSON)', 'planIssue 1×, profileFor 1×', iterations, () => loadProfile('tls-server')),
      await cost('new X509Certificate(issuer) + SPKI export', 'planIssue→spkiOf 1×', iterations, () => new X509Certificate(Buffer.from(issuerCertDer)).publicKey.export({ type: 'spki', format: 'der' })),
      await cost('readIssuer (issuer certificate)', 'planIssuedCertificate 1×', iterations, () => readIssuer(issuerCertDer)),
      await cost('lintForSigning (readTbs + lint)', 'planIssuedCertificate 1×', iterations, () => lintForSigning(tbsDer, issuer)),
      await cost('describeReadTbs (preview)', 'planIssuedCertificate 1×', iterations, () => describeReadTbs(read)),
      await cost('readCertificate (certificate DER → schema)', 'verifyIssued 1× each', iterations, () => readCertificate(issuedCertDer)),
      await cost('publicKeyFromSpki (createPublicKey)', 'verifyIssued 1× each', iterations, () => publicKeyFromSpki(issuerSpki)),
      await cost('crypto.verify alone (key object made once)', 'verifyIssued 1× each', iterations, () => nodeVerify(params.hash, tbsDer, { key: issuerKey, ...params.options }, signature)),
      await cost('verifyIssued (all of it)', 'signTbs 1×, issueCertificate 1×', iterations, () => verifyIssued(issuedCertDer, issuerSpki)),
      await cost('describeCertificate', 'issueCertificate 1×', iterations, () => describeCertificate(issuedCertDer)),
      await cost('token.findKey (C_FindObjects, attributes, SPKI)', 'requireKey 1×', iterations, () => token.findKey(keySpkiSha256)),
      await cost('journal append, no fsync', 'complete 1×', iterations, () => journal.append('bench.probe', { sha256: createHash('sha256').update(tbsDer).digest('hex') })),
      await cost('journal append + fsync', 'begin 1×, import 1×', Math.min(iterations, 100), () => journal.append('bench.probe', { n: 1 }, { durable: true })),
    ];
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
