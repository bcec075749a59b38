/**
 * What one call of each core function on the issuance path costs, called in a
 * loop on real inputs from the benchmark's own CA: the answer to "where does
 * the time outside the token go", function by function, in ms per call.
 */
import { createHash, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../main/journal/index.ts';
import { planIssue } from '../../main/ca/issue.ts';
import type { CaContext } from '../../main/ca/context.ts';
import type { Token } from '../../main/hsm/token.ts';
import { parseCsrFile } from '../../main/pki/x509/csr.ts';
import { loadProfile } from '../../main/pki/x509/profiles.ts';
import { publicKeyFromSpki } from '../../main/pki/x509/keys.ts';
import { readIssuer } from '../../main/pki/x509/issuer.ts';
import { lintForSigning } from '../../main/pki/x509/lint.ts';
import { readCertificate, readTbs } from '../../main/pki/x509/tbs-reader.ts';
import { describeReadTbs, describeSigned } from '../../main/pki/x509/preview.ts';
import { finishCertificate } from '../../main/pki/x509/sign.ts';
import { nodeVerifyParams } from '../../main/pki/x509/signature.ts';
import { signAlgorithmFor } from '../../main/pki/x509/algorithms.ts';

export interface CallCost {
  readonly call: string;
  /** Where import + issueCertificate reach it. */
  readonly perCertificate: string;
  /** Calls per certificate when it is a top-level step of import + issue; 0 for a part of the row above; -1 for the token call itself. */
  readonly timesPerCertificate: number;
  readonly wallMs: number;
  readonly cpuMs: number;
}

export interface CoreCallInputs {
  readonly ctx: CaContext;
  readonly caId: string;
  readonly csrDer: Uint8Array;
  readonly issuerCertDer: Uint8Array;
  readonly issuerSpki: Uint8Array;
  readonly issuedCertDer: Uint8Array;
  readonly token: Token;
  readonly keySpkiSha256: string;
}

async function cost(call: string, perCertificate: string, timesPerCertificate: number, iterations: number, fn: () => unknown): Promise<CallCost> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  const wallMs = (performance.now() - start) / iterations;
  const used = process.cpuUsage(cpu);
  return { call, perCertificate, timesPerCertificate, wallMs, cpuMs: (used.user + used.system) / 1000 / iterations };
}

export async function measureCoreCalls(inputs: CoreCallInputs, iterations: number): Promise<CallCost[]> {
  const { ctx, caId, csrDer, issuerCertDer, issuerSpki, issuedCertDer, token, keySpkiSha256 } = inputs;
  const csr = parseCsrFile(csrDer)[0]!;
  const request = { caId, requestId: csr.sha256, profileId: 'tls-server', validityDays: 90 };
  const issuer = readIssuer(issuerCertDer);
  const issued = readCertificate(issuedCertDer);
  const tbsDer = issued.der;
  const read = readTbs(tbsDer);
  const preview = describeReadTbs(read);
  const linted = lintForSigning(tbsDer, issuer);
  const params = nodeVerifyParams(issued.certificate.signatureAlgorithm)!;
  const issuerKey = publicKeyFromSpki(issuerSpki);
  const key = await token.findKey(keySpkiSha256);
  if (key === undefined) throw new Error('the CA key is not on the token');
  const signer = token.signer(key);
  const algorithm = signAlgorithmFor(key.spec);
  const signature = new Uint8Array(issued.certificate.signatureValue);
  const dir = mkdtempSync(join(tmpdir(), 'custos-bench-journal-'));
  const journal = Journal.open({ dir, operator: 'bench' });
  try {
    return [
      await cost('parseCsrFile (parse + CSR signature check)', 'reading the request file', 1, iterations, () => parseCsrFile(csrDer)),
      await cost('planIssue (all of it)', 'issueCertificate', 1, iterations, () => planIssue(ctx, request, csr, issuerSpki)),
      await cost('  loadProfile (cached profile, file stat)', 'planIssue→profileFor', 0, iterations, () => loadProfile('tls-server')),
      await cost('  readIssuer (issuer certificate, cached)', 'planIssuedCertificate', 0, iterations, () => readIssuer(issuerCertDer)),
      await cost('  describeReadTbs (preview)', 'planIssuedCertificate', 0, iterations, () => describeReadTbs(read)),
      await cost('tokens.requireKey (found once, then remembered)', 'issueCertificate', 1, iterations, () => ctx.tokens.requireKey(keySpkiSha256, 'the bench CA')),
      await cost('token.findKey (C_FindObjects, attributes, SPKI)', 'tokens.requireKey, first certificate only', 0, iterations, () => token.findKey(keySpkiSha256)),
      await cost('signature check in signTbs (publicKeyFromSpki + crypto.verify)', 'signTbs', 1, iterations, () => nodeVerify(params.hash, tbsDer, { key: publicKeyFromSpki(issuerSpki), ...params.options }, signature)),
      await cost('  publicKeyFromSpki (createPublicKey)', 'signTbs', 0, iterations, () => publicKeyFromSpki(issuerSpki)),
      await cost('  crypto.verify alone (key object made once)', 'signTbs', 0, iterations, () => nodeVerify(params.hash, tbsDer, { key: issuerKey, ...params.options }, signature)),
      await cost('signer.sign: the core\'s token call, token included (compare (a))', 'signTbs', -1, iterations, () => signer.sign(tbsDer, algorithm)),
      await cost('finishCertificate (encode the certificate, find the TBS in it)', 'signTbs', 1, iterations, () => finishCertificate(linted, signature)),
      await cost('describeSigned (preview + SHA-256 and SHA-1 of the certificate)', 'issueCertificate', 1, iterations, () => describeSigned(preview, issuedCertDer)),
      await cost('journal append + fsync', 'journal.durable (one per several intents in a batch)', 1, Math.min(iterations, 100), () => journal.append('bench.probe', { n: 1 }, { durable: true })),
      await cost('journal append, no fsync', 'recordRequest, journal.complete', 2, iterations, () => journal.append('bench.probe', { sha256: createHash('sha256').update(tbsDer).digest('hex') })),
    ];
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
