/**
 * Issuance on SoftHSM2 for one CA key type, in three ways on the same token
 * key and the same requests:
 *   (a) the token alone: C_Sign in a loop on one session (the physical limit);
 *   (b) CSR → certificate through the core: parseCsrFile reads and checks the
 *       file, then issueRequests records and issues each request, one held
 *       session, with the token call timed;
 *   (c) `openssl ca` with the key on the token through the pkcs11 engine,
 *       once per request and once with -infiles for the whole batch.
 * It also times each step of issueCertificate on a second batch, and the
 * disk's fsync, to say where the time outside the token goes.
 *
 *   node --import tsx bench/issuance.ts --key ec|rsa [--count N] [--each N] [--quick] [--json]
 *
 * One key type per process: SoftHSM reads its configuration once per process.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Custos } from '../main/custos.ts';
import { Secret } from '../main/secret.ts';
import type { KeySpec, Signer, Token } from '../main/hsm/token.ts';
import { createRoot } from '../main/ca/root.ts';
import { issueRequests } from '../main/ca/issue.ts';
import { parseCsrFile } from '../main/pki/x509/csr.ts';
import type { IssuedRecord } from '../main/ca/state.ts';
import { createSoftHsm } from '../test/support/softhsm.ts';
import { makeRequests, toPem, type ApplicantKey } from './support/requests.ts';
import { measureRawSign, type RawSignResult } from './support/raw-sign.ts';
import { countPkcs11Calls } from './support/pkcs11-calls.ts';
import { mainThreadCpuMs } from './support/thread-cpu.ts';
import { emptyStepTimes, issueInSteps, STEPS } from './support/issue-steps.ts';
import { measureCoreCalls, type CallCost } from './support/core-calls.ts';
import { prepareOpensslCa, signBatch, signEach, type OpensslRun } from './support/openssl-ca.ts';

export type CaKey = 'ec' | 'rsa';

export const CA_KEYS: Readonly<Record<CaKey, { spec: KeySpec; title: string; applicant: ApplicantKey; opensslHash: 'sha384' }>> = {
  ec: { spec: { kind: 'ec', curve: 'P-384' }, title: 'EC P-384', applicant: 'ec-p256', opensslHash: 'sha384' },
  rsa: { spec: { kind: 'rsa', bits: 3072 }, title: 'RSA-3072', applicant: 'rsa-2048', opensslHash: 'sha384' },
};

const TOKEN_LABEL = 'Bench HSM';
const KEY_LABEL = 'bench-ca-key';
const PROFILE_ID = 'tls-server';
const VALIDITY_DAYS = 90;
/** Pairs of (b) and (c) -infiles batches measured; the pair with the median ratio is reported. */
const REPEATS = 3;

export interface IssuanceOptions {
  readonly key: CaKey;
  /** Requests in the measured batch. */
  readonly count: number;
  /** Requests signed by one `openssl ca` process each (the first of the batch). */
  readonly each: number;
  /**
   * Requests issued before anything is measured, through the batch's own path, so the figures are those of an app that
   * has been running. V8 keeps compiling the path for longer than one might think (the method in docs/benchmarks.md
   * gives the counts): 100 left up to 0.6 ms of compiling per certificate in the measured batches.
   */
  readonly warmup: number;
  /** Requests issued step by step for the breakdown. */
  readonly stepped: number;
  readonly rawMinMs: number;
  /** Calls of each core function in the per-call costs. */
  readonly callIterations: number;
}

export interface IssuanceResult {
  readonly key: CaKey;
  readonly title: string;
  readonly applicant: ApplicantKey;
  readonly count: number;
  readonly raw: RawSignResult;
  readonly core: {
    readonly importMs: number;
    readonly issueMs: number;
    readonly signMs: number;
    readonly signs: number;
    readonly certificates: number;
    /** This process's user + system CPU for import + issue, the token's share included (SoftHSM runs in-process). */
    readonly cpuMs: number;
    /** The part of cpuMs spent reading and checking the request file (parseCsrFile); recording each request is part of the batch. */
    readonly importCpuMs: number;
    /** The main thread's share of cpuMs (undefined without /proc). */
    readonly mainThreadCpuMs: number | undefined;
    /** Garbage-collection pauses on the main thread during import + issue. */
    readonly gcMs: number;
    /** PKCS#11 calls during import + issue, by function. */
    readonly pkcs11Calls: Readonly<Record<string, number>>;
    /** Batches measured; the figures above are those of the pair with the median (b)/(c) ratio. */
    readonly repeats: number;
  };
  /** Each (b) batch's rate (certificates per second, import + issue) beside the rate of the `openssl ca -infiles` batch run right after it, in the order run. */
  readonly pairs: readonly { readonly core: number; readonly openssl: number }[];
  readonly steps: { readonly certificates: number; readonly perCertificate: readonly { step: string; wallMs: number; cpuMs: number }[] };
  /** Each core function on the issuance path, called alone in a loop. */
  readonly calls: readonly CallCost[];
  readonly fsyncMs: number;
  /** The 1-minute load average when the run began and ended: other work on the machine slows every figure. */
  readonly load: readonly [number, number];
  /** Cores this process could run on: with (b)'s CPU per certificate, they bound its rate. */
  readonly cores: number;
  readonly openssl: { readonly batch: OpensslRun; readonly each: OpensslRun & { readonly requests: number } };
}

/** What one small append + fsync costs on the disk the journal is on. */
function measureFsync(dir: string, times: number): number {
  const fd = openSync(join(dir, 'fsync-probe'), 'a');
  try {
    const start = performance.now();
    for (let i = 0; i < times; i++) {
      writeSync(fd, `${'x'.repeat(400)}\n`);
      fsyncSync(fd);
    }
    return (performance.now() - start) / times;
  } finally {
    closeSync(fd);
  }
}

/** Times every token call a signer makes, from the queue to the DER signature. */
function timeSigners(token: Token): { readonly ms: number; readonly count: number; reset(): void } {
  const meter = { ms: 0, count: 0, reset(): void { this.ms = 0; this.count = 0; } };
  const original = token.signer.bind(token);
  (token as { signer: Token['signer'] }).signer = (key, options) => {
    const signer = original(key, options);
    const timed: Signer = {
      ...signer,
      async sign(message, algorithm) {
        const start = performance.now();
        try {
          return await signer.sign(message, algorithm);
        } finally {
          meter.ms += performance.now() - start;
          meter.count += 1;
        }
      },
    };
    return timed;
  };
  return meter;
}

function pemFile(requests: readonly Uint8Array[]): Uint8Array {
  return Buffer.from(requests.map((r) => toPem(r)).join(''), 'latin1');
}

export async function benchIssuance(options: IssuanceOptions): Promise<IssuanceResult> {
  const { spec, title, applicant, opensslHash } = CA_KEYS[options.key];
  const loadAtStart = loadavg()[0]!;
  const work = mkdtempSync(join(tmpdir(), 'custos-bench-issue-'));
  const hsm = await createSoftHsm();
  // Throwaway PINs for a token that lives as long as this run.
  const pin = randomBytes(6).toString('hex');
  let core: Custos | undefined;
  try {
    await hsm.initToken(TOKEN_LABEL, randomBytes(6).toString('hex'), pin);
    // Every request is made before any clock starts.
    const warm = await makeRequests(applicant, options.warmup, 'warm');
    const batches = [];
    for (let k = 0; k < REPEATS; k++) batches.push(await makeRequests(applicant, options.count, `batch${k}`));
    const batch = batches[0]!;
    const stepped = await makeRequests(applicant, options.stepped, 'step');
    const csrDir = join(work, 'csr');
    mkdirSync(csrDir);
    const csrFiles = batch.map((der, i) => {
      const file = join(csrDir, `${i}.csr`);
      writeFileSync(file, toPem(der));
      return file;
    });

    core = Custos.open({ dataDir: join(work, 'data'), rehearsalModules: [hsm.modulePath], operator: 'bench' });
    const ctx = core.ctx;
    const listed = (await core.tokens.list()).find((t) => t.info.label === TOKEN_LABEL);
    if (!listed) throw new Error(`SoftHSM token ${TOKEN_LABEL} not listed`);
    await core.login(listed.id, Secret.fromString(pin));
    const caKey = await core.generateKey(listed.id, spec, KEY_LABEL);
    const root = await createRoot(ctx, {
      tokenId: listed.id, keySpkiSha256: caKey.spkiSha256, profileId: 'root-ca', subject: `C=XX, O=Custos Bench, CN=Custos Bench ${title} Root`,
      name: 'bench-root', validityDays: 3650,
    });

    const raw = await measureRawSign(hsm.modulePath, TOKEN_LABEL, KEY_LABEL, spec, options.rawMinMs, 20);

    const token = await core.tokens.open(listed.id);
    const meter = timeSigners(token);
    // The warm-up takes the batch's own path.
    await issueRequests(ctx, 'warm.pem', parseCsrFile(pemFile(warm)), { caId: root.id, profileId: PROFILE_ID, validityDays: VALIDITY_DAYS });

    // (b) is run REPEATS times, on batches of their own: one slow or fast moment of a shared machine does not decide the figures.
    const measureBatch = async (ders: readonly Uint8Array[], name: string) => {
      let gcMs = 0;
      const gcObserver = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) gcMs += entry.duration;
      });
      gcObserver.observe({ entryTypes: ['gc'] });
      const counter = countPkcs11Calls(hsm.modulePath);
      meter.reset();
      const batchBytes = pemFile(ders);
      const cpu = process.cpuUsage();
      const mainCpu = mainThreadCpuMs();
      const t0 = performance.now();
      const checked = parseCsrFile(batchBytes);
      const t1 = performance.now();
      const importCpu = process.cpuUsage(cpu);
      const issued = await issueRequests(ctx, name, checked, { caId: root.id, profileId: PROFILE_ID, validityDays: VALIDITY_DAYS });
      const t2 = performance.now();
      const cpuUsed = process.cpuUsage(cpu);
      const mainCpuAfter = mainThreadCpuMs();
      await new Promise((resolve) => setImmediate(resolve));
      gcObserver.disconnect();
      const pkcs11Calls = counter.counts();
      counter.restore();
      return {
        last: issued.at(-1),
        result: { importMs: t1 - t0, issueMs: t2 - t1, signMs: meter.ms, signs: meter.count, certificates: issued.length, pkcs11Calls,
          cpuMs: (cpuUsed.user + cpuUsed.system) / 1000, importCpuMs: (importCpu.user + importCpu.system) / 1000,
          mainThreadCpuMs: mainCpu === undefined || mainCpuAfter === undefined ? undefined : mainCpuAfter - mainCpu, gcMs },
      };
    };
    const keyUri = `pkcs11:token=${encodeURIComponent(TOKEN_LABEL)};object=${KEY_LABEL};type=private;pin-value=${pin}`;
    const ossl = prepareOpensslCa(join(work, 'openssl'), toPem(root.certDer, 'CERTIFICATE'), keyUri, opensslHash, VALIDITY_DAYS);
    // (b) and (c) take turns, each (b) batch followed at once by an `openssl ca -infiles` batch of the first batch's
    // requests: this machine's speed drifts by tens of percent within minutes, and a pair run back to back sees the
    // same machine. The pair with the median (b)/(c) ratio is reported whole; every pair is shown.
    const runs = [];
    for (const [k, ders] of batches.entries()) {
      const core = await measureBatch(ders, `batch-${k}.pem`);
      const openssl = signBatch(ossl, csrFiles);
      const coreRate = (core.result.certificates / (core.result.importMs + core.result.issueMs)) * 1000;
      runs.push({ core, openssl, coreRate, opensslRate: openssl.certificates / openssl.seconds });
    }
    const median = [...runs].sort((x, y) => x.coreRate / x.opensslRate - y.coreRate / y.opensslRate)[Math.floor(runs.length / 2)]!;
    const coreResult = { ...median.core.result, repeats: runs.length };
    const pairs = runs.map((r) => ({ core: r.coreRate, openssl: r.opensslRate }));
    const batchRun = median.openssl;
    const last: IssuedRecord | undefined = median.core.last;

    const times = emptyStepTimes();
    const steppedChecked = parseCsrFile(pemFile(stepped));
    for (const csr of steppedChecked) await issueInSteps(ctx, 'stepped.pem', csr, { caId: root.id, profileId: PROFILE_ID, validityDays: VALIDITY_DAYS }, times);
    const per = (ms: number): number => ms / Math.max(1, steppedChecked.length);
    const steps = {
      certificates: steppedChecked.length,
      perCertificate: STEPS.map((step) => ({ step, wallMs: per(times.wallMs[step]), cpuMs: per(times.cpuMs[step]) })),
    };
    const fsyncMs = measureFsync(join(work, 'data'), 100);
    const calls = last === undefined ? [] : await measureCoreCalls({
      ctx, caId: root.id, csrDer: batch[0]!, issuerCertDer: root.certDer, issuerSpki: caKey.spki, issuedCertDer: last.certDer, token, keySpkiSha256: caKey.spkiSha256,
    }, options.callIterations);

    const eachFiles = csrFiles.slice(0, options.each);
    const eachRun = { ...signEach(ossl, eachFiles), requests: eachFiles.length };

    return { key: options.key, title, applicant, count: options.count, raw, core: coreResult, steps, calls, fsyncMs, load: [loadAtStart, loadavg()[0]!], cores: availableParallelism(), pairs, openssl: { batch: batchRun, each: eachRun } };
  } finally {
    await core?.close();
    await hsm.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

export function defaultOptions(key: CaKey, quick: boolean): IssuanceOptions {
  if (quick) return { key, count: 20, each: 5, warmup: 20, stepped: 10, rawMinMs: 300, callIterations: 20 };
  return key === 'ec'
    ? { key, count: 500, each: 100, warmup: 1000, stepped: 200, rawMinMs: 3000, callIterations: 300 }
    : { key, count: 200, each: 50, warmup: 1000, stepped: 100, rawMinMs: 3000, callIterations: 300 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      key: { type: 'string', default: 'ec' }, count: { type: 'string' }, each: { type: 'string' },
      quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
    },
  });
  const key = values.key === 'rsa' ? 'rsa' : 'ec';
  const defaults = defaultOptions(key, values.quick);
  const options: IssuanceOptions = {
    ...defaults,
    ...(values.count ? { count: Number(values.count) } : {}),
    ...(values.each ? { each: Number(values.each) } : {}),
  };
  const result = await benchIssuance(options);
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
