/**
 * The figures a reader compares, derived once from the raw results, then
 * written twice: a table for the terminal and the sections of
 * docs/benchmarks.md this benchmark owns.
 */
import type { IssuanceResult } from '../issuance.ts';
import type { JournalOpenResult } from '../journal.ts';
import type { CrlRun } from './crl-run.ts';
import type { Machine } from './machine.ts';

export interface Derived {
  readonly title: string;
  readonly count: number;
  /** (a) */
  readonly tokenPerSecond: number;
  readonly tokenMsPerSignature: number;
  readonly tokenCpuMsPerSignature: number;
  readonly tokenAsyncPerSecond: number;
  /** (b), import + issue */
  readonly corePerSecond: number;
  readonly coreIssueOnlyPerSecond: number;
  /** Each (b) batch's rate, import + issue, beside the (c) batch run right after it, in the order run. */
  readonly pairs: IssuanceResult['pairs'];
  readonly coreMsPerCertificate: number;
  readonly importMs: number;
  readonly importCpuMs: number;
  readonly signMsPerCertificate: number;
  /** Wall time per certificate outside the timed token call. */
  readonly nonSigningMs: number;
  /** Wall time per certificate minus (a)'s time per signature. */
  readonly nonSigningVsRawMs: number;
  /** CPU per certificate minus (a)'s CPU per signature. */
  readonly nonSigningCpuMs: number;
  readonly gcMsPerCertificate: number;
  /** CPU per certificate on the main thread, and on all the others (token included). */
  readonly mainThreadCpuMs: number | undefined;
  readonly otherThreadsCpuMs: number | undefined;
  readonly sessionsOpened: number;
  readonly logins: number;
  readonly pkcs11CallsPerCertificate: string;
  /** (c) */
  readonly opensslBatchPerSecond: number;
  readonly opensslEachPerSecond: number;
  readonly opensslBatchCpuMs: number;
  readonly opensslEachCpuMs: number;
  readonly opensslFailures: number;
  readonly ratioCoreToToken: number;
  readonly ratioCoreToOpensslBatch: number;
  readonly ratioCoreToOpensslEach: number;
  /** CPU per certificate in (b), the token's share included: the load-independent measure. */
  readonly coreCpuMsPerCertificate: number;
  readonly cores: number;
  /**
   * The most certificates per second (b) could issue at its CPU per certificate with every core busy all
   * the time: no scheduling of the same work goes past it, only doing less work.
   */
  readonly coreCpuBoundPerSecond: number;
  /** The same ratios from CPU per certificate instead of wall-clock rates. */
  readonly cpuRatioCoreToToken: number;
  readonly cpuRatioCoreToOpensslBatch: number;
  readonly cpuRatioCoreToOpensslEach: number;
}

export function derive(r: IssuanceResult): Derived {
  const n = r.core.certificates;
  const totalMs = r.core.importMs + r.core.issueMs;
  const corePerSecond = n / (totalMs / 1000);
  const opensslBatchPerSecond = r.openssl.batch.certificates / r.openssl.batch.seconds;
  const opensslEachPerSecond = r.openssl.each.certificates / r.openssl.each.seconds;
  const calls = Object.entries(r.core.pkcs11Calls).map(([name, c]) => `${name} ${(c / n).toFixed(c % n === 0 ? 0 : 2)}`).join(', ');
  return {
    title: r.title,
    count: n,
    tokenPerSecond: r.raw.sync.perSecond,
    tokenMsPerSignature: r.raw.sync.msPerSignature,
    tokenCpuMsPerSignature: r.raw.sync.cpuMsPerSignature,
    tokenAsyncPerSecond: r.raw.async.perSecond,
    corePerSecond,
    coreIssueOnlyPerSecond: n / (r.core.issueMs / 1000),
    pairs: r.pairs,
    coreMsPerCertificate: totalMs / n,
    importMs: r.core.importMs / n,
    importCpuMs: r.core.importCpuMs / n,
    signMsPerCertificate: r.core.signMs / n,
    nonSigningMs: (totalMs - r.core.signMs) / n,
    nonSigningVsRawMs: totalMs / n - r.raw.sync.msPerSignature,
    nonSigningCpuMs: r.core.cpuMs / n - r.raw.sync.cpuMsPerSignature,
    gcMsPerCertificate: r.core.gcMs / n,
    mainThreadCpuMs: r.core.mainThreadCpuMs === undefined ? undefined : r.core.mainThreadCpuMs / n,
    otherThreadsCpuMs: r.core.mainThreadCpuMs === undefined ? undefined : (r.core.cpuMs - r.core.mainThreadCpuMs) / n,
    sessionsOpened: r.core.pkcs11Calls.C_OpenSession ?? 0,
    logins: r.core.pkcs11Calls.C_Login ?? 0,
    pkcs11CallsPerCertificate: calls,
    opensslBatchPerSecond,
    opensslEachPerSecond,
    opensslBatchCpuMs: r.openssl.batch.cpuSeconds * 1000 / Math.max(1, r.openssl.batch.certificates),
    opensslEachCpuMs: r.openssl.each.cpuSeconds * 1000 / Math.max(1, r.openssl.each.certificates),
    opensslFailures: r.openssl.batch.failures + r.openssl.each.failures,
    ratioCoreToToken: corePerSecond / r.raw.sync.perSecond,
    ratioCoreToOpensslBatch: corePerSecond / opensslBatchPerSecond,
    ratioCoreToOpensslEach: corePerSecond / opensslEachPerSecond,
    coreCpuMsPerCertificate: r.core.cpuMs / n,
    cores: r.cores,
    coreCpuBoundPerSecond: r.cores * 1000 / (r.core.cpuMs / n),
    cpuRatioCoreToToken: r.raw.sync.cpuMsPerSignature / (r.core.cpuMs / n),
    cpuRatioCoreToOpensslBatch: (r.openssl.batch.cpuSeconds * 1000 / Math.max(1, r.openssl.batch.certificates)) / (r.core.cpuMs / n),
    cpuRatioCoreToOpensslEach: (r.openssl.each.cpuSeconds * 1000 / Math.max(1, r.openssl.each.certificates)) / (r.core.cpuMs / n),
  };
}

const f = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

export interface Target {
  readonly what: string;
  readonly measured: string;
  readonly met: boolean;
}

const MIB_200 = 200;
const GIB_IN_MIB = 1024;

export function targets(results: readonly IssuanceResult[], crl: CrlRun): Target[] {
  const out: Target[] = [];
  for (const r of results) {
    const d = derive(r);
    if (r.key === 'rsa') {
      out.push({ what: `(b) ≥ 0.5 × (a), ${d.title}`, measured: `${d.ratioCoreToToken.toFixed(2)} × (a) by wall-clock rate, ${d.cpuRatioCoreToToken.toFixed(2)} by CPU per certificate`, met: d.ratioCoreToToken >= 0.5 });
    }
    out.push({
      what: `(b) faster than (c) openssl ca -infiles, ${d.title}`,
      measured: `${d.ratioCoreToOpensslBatch.toFixed(2)} × (c batch), ${d.cpuRatioCoreToOpensslBatch.toFixed(2)} by CPU; ${d.ratioCoreToOpensslEach.toFixed(2)} × (c per request), ${d.cpuRatioCoreToOpensslEach.toFixed(2)} by CPU; `
        + `at its CPU per certificate (b) could reach at most ${f(d.coreCpuBoundPerSecond, 0)} cert/s on ${d.cores} cores, (c) ran at ${f(d.opensslBatchPerSecond, 0)}`,
      met: d.ratioCoreToOpensslBatch > 1,
    });
    // Judged by CPU: the batch prepares the next certificate while the token signs, so the
    // timed token calls overlap host work and wall time minus them would flatter the core.
    out.push({
      what: `non-signing work ≤ 2 ms per certificate, ${d.title}`,
      measured: `${d.nonSigningCpuMs.toFixed(2)} ms CPU beyond (a)'s CPU per signature; ${d.nonSigningVsRawMs.toFixed(2)} ms wall beyond (a)'s time per signature`,
      met: d.nonSigningCpuMs <= 2,
    });
    out.push({ what: `one PKCS#11 session for the batch, ${d.title}`, measured: `${d.sessionsOpened} C_OpenSession, ${d.logins} C_Login during ${d.count} certificates`, met: d.sessionsOpened === 0 && d.logins === 0 });
  }
  for (const row of crl.rows) {
    if (!row.custos) continue;
    const [seconds, mib, label] = row.entries <= 100_000 ? [2, MIB_200, '< 2 s within 200 MiB'] : [20, GIB_IN_MIB, '< 20 s within 1 GiB'];
    if (row.entries !== 100_000 && row.entries !== 1_000_000) continue;
    out.push({
      what: `CRL ${row.entries.toLocaleString('en')} entries ${label}`,
      measured: `${row.custos.seconds.toFixed(2)} s, ${row.custos.peakRssMiB} MiB peak RSS`,
      met: row.custos.seconds < seconds && row.custos.peakRssMiB <= mib,
    });
  }
  return out;
}

function rowsOf(ds: readonly Derived[]): [string, ...string[]][] {
  return [
    ['(a) token C_Sign, one session (sig/s)', ...ds.map((d) => f(d.tokenPerSecond))],
    ['    ms per signature (wall / CPU)', ...ds.map((d) => `${f(d.tokenMsPerSignature, 2)} / ${f(d.tokenCpuMsPerSignature, 2)}`)],
    ['    C_SignAsync, as the core calls it (sig/s)', ...ds.map((d) => f(d.tokenAsyncPerSecond))],
    ['(b) core CSR → certificate, import + issue (cert/s)', ...ds.map((d) => f(d.corePerSecond))],
    ['    each batch, in order (cert/s)', ...ds.map((d) => d.pairs.map((p) => f(p.core, 0)).join(' / '))],
    ['    the (c) batch run right after each (cert/s)', ...ds.map((d) => d.pairs.map((p) => f(p.openssl, 0)).join(' / '))],
    ['    (b) / (c) of each pair; the pair with the median ratio is reported', ...ds.map((d) => d.pairs.map((p) => f(p.core / p.openssl, 2)).join(' / '))],
    ['    record + issue only (cert/s)', ...ds.map((d) => f(d.coreIssueOnlyPerSecond))],
    ['    read and check the requests, per request (ms wall / CPU)', ...ds.map((d) => `${f(d.importMs, 2)} / ${f(d.importCpuMs, 2)}`)],
    ['    ms per certificate, all of it', ...ds.map((d) => f(d.coreMsPerCertificate, 2))],
    ['    of which the timed token call (ms)', ...ds.map((d) => f(d.signMsPerCertificate, 2))],
    ['    non-signing, wall minus the timed token calls, which overlap host work (ms)', ...ds.map((d) => f(d.nonSigningMs, 2))],
    ['    non-signing, wall minus (a) per signature (ms)', ...ds.map((d) => f(d.nonSigningVsRawMs, 2))],
    ['    non-signing, CPU minus (a) CPU per signature (ms)', ...ds.map((d) => f(d.nonSigningCpuMs, 2))],
    ['    CPU per certificate, main thread / other threads (token, checks, fsync, V8 helpers) (ms)', ...ds.map((d) => `${f(d.mainThreadCpuMs ?? NaN, 2)} / ${f(d.otherThreadsCpuMs ?? NaN, 2)}`)],
    ['    garbage-collection pauses (ms per certificate)', ...ds.map((d) => f(d.gcMsPerCertificate, 2))],
    ['    PKCS#11 sessions opened / logins in the batch', ...ds.map((d) => `${d.sessionsOpened} / ${d.logins}`)],
    ['(c) openssl ca -infiles, one process (cert/s)', ...ds.map((d) => f(d.opensslBatchPerSecond))],
    ['    openssl ca, one process per request (cert/s)', ...ds.map((d) => f(d.opensslEachPerSecond))],
    ['    openssl CPU per certificate, batch / per request (ms)', ...ds.map((d) => `${f(d.opensslBatchCpuMs, 2)} / ${f(d.opensslEachCpuMs, 2)}`)],
    ['(b) CPU per certificate, token included (ms)', ...ds.map((d) => f(d.coreCpuMsPerCertificate, 2))],
    ['    the most (b) could issue at that CPU with every core busy (cert/s)', ...ds.map((d) => `${f(d.coreCpuBoundPerSecond, 0)} on ${d.cores} cores`)],
    ['ratio (b) / (a), wall-clock rates', ...ds.map((d) => f(d.ratioCoreToToken, 2))],
    ['ratio (b) / (c) batch, wall-clock rates', ...ds.map((d) => f(d.ratioCoreToOpensslBatch, 2))],
    ['ratio (b) / (c) per request, wall-clock rates', ...ds.map((d) => f(d.ratioCoreToOpensslEach, 2))],
    ['ratio (b) / (a), by CPU per certificate', ...ds.map((d) => f(d.cpuRatioCoreToToken, 2))],
    ['ratio (b) / (c) batch, by CPU per certificate', ...ds.map((d) => f(d.cpuRatioCoreToOpensslBatch, 2))],
    ['ratio (b) / (c) per request, by CPU per certificate', ...ds.map((d) => f(d.cpuRatioCoreToOpensslEach, 2))],
  ];
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function consoleTable(results: readonly IssuanceResult[], crl: CrlRun): string {
  const ds = results.map(derive);
  const rows = rowsOf(ds);
  const w0 = Math.max(...rows.map((r) => r[0].length)) + 2;
  // Each column as wide as its widest cell, with two spaces after it.
  const heads = ds.map((d) => `${d.title} (${d.count})`);
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i + 1]!.length)) + 2);
  const lines = [pad('', w0) + heads.map((h, i) => pad(h, widths[i]!)).join('')];
  for (const [label, ...cells] of rows) lines.push(pad(label, w0) + cells.map((c, i) => pad(c, widths[i]!)).join(''));
  lines.push('');
  for (const row of crl.rows) {
    lines.push(`CRL ${row.entries.toLocaleString('en')} entries: custos ${row.custos ? `${f(row.custos.seconds, 2)} s, ${row.custos.peakRssMiB} MiB` : '–'}; `
      + `openssl ca -gencrl ${row.openssl ? `${f(row.openssl.seconds, 2)} s, ${row.openssl.peakRssMiB ?? '?'} MiB` : '–'}`);
  }
  lines.push('', 'Targets:');
  for (const t of targets(results, crl)) lines.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.what}: ${t.measured}`);
  lines.push('', 'Ratios:');
  for (const d of ds) {
    lines.push(`  ${d.title}: (b)/(a) = ${f(d.ratioCoreToToken, 2)}, (b)/(c batch) = ${f(d.ratioCoreToOpensslBatch, 2)}, (b)/(c per request) = ${f(d.ratioCoreToOpensslEach, 2)}`
      + `; by CPU: ${f(d.cpuRatioCoreToToken, 2)}, ${f(d.cpuRatioCoreToOpensslBatch, 2)}, ${f(d.cpuRatioCoreToOpensslEach, 2)}`);
  }
  return lines.join('\n');
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export interface ReportInput {
  readonly date: Date;
  readonly machine: Machine;
  readonly load: readonly [number, number];
  readonly quick: boolean;
  readonly results: readonly IssuanceResult[];
  readonly crl: CrlRun;
  /** Opening a data directory whose journal records this many certificates (bench/journal.ts). */
  readonly journal: readonly JournalOpenResult[];
  readonly totalSeconds: number;
  /** V8's CPU profiler was on (--cpu-prof): every figure is a little slower for it. */
  readonly profiled: boolean;
}

/** The sections of docs/benchmarks.md this benchmark writes (between its markers). */
export function markdown(input: ReportInput): string {
  const { machine: m, results, crl } = input;
  const ds = results.map(derive);
  const date = input.date.toISOString().replace(/\.\d+Z$/, 'Z');
  const stepHeader = ['step of issueRequests, per request', ...results.flatMap((r) => [`${r.title} wall ms`, `${r.title} CPU ms`])];
  const stepNames = results[0]?.steps.perCertificate.map((s) => s.step) ?? [];
  const stepRows = stepNames.map((name) => [name, ...results.flatMap((r) => {
    const s = r.steps.perCertificate.find((x) => x.step === name);
    return [f(s?.wallMs ?? Number.NaN, 2), f(s?.cpuMs ?? Number.NaN, 2)];
  })]);
  const stepTotals = ['**sum**', ...results.flatMap((r) => [
    f(r.steps.perCertificate.reduce((a, s) => a + s.wallMs, 0), 2), f(r.steps.perCertificate.reduce((a, s) => a + s.cpuMs, 0), 2)])];
  const callNames = results[0]?.calls.map((c) => c.call) ?? [];
  const callRows = callNames.map((name) => {
    const first = results[0]!.calls.find((c) => c.call === name)!;
    return [name.replace(/^ {2}/, '&nbsp;&nbsp;↳ '), first.perCertificate, first.timesPerCertificate === 0 ? 'part of the row above' : first.timesPerCertificate < 0 ? '1×, the signing itself' : `${first.timesPerCertificate}×`,
      ...results.flatMap((r) => {
        const c = r.calls.find((x) => x.call === name);
        return [f(c?.wallMs ?? Number.NaN, 3), f(c?.cpuMs ?? Number.NaN, 3)];
      })];
  });
  const callHeader = ['call', 'reached from', 'per certificate', ...results.flatMap((r) => [`${r.title} wall ms`, `${r.title} CPU ms`])];
  const accounted = results.map((r) => {
    const d = derive(r);
    const step = (name: string): number => r.steps.perCertificate.find((x) => x.step.startsWith(name))?.cpuMs ?? 0;
    const parts = [
      { what: 'reading and checking the requests (parseCsrFile)', cpuMs: r.core.importCpuMs / r.core.certificates },
      ...r.steps.perCertificate.filter((x) => !x.step.startsWith('signer.sign')).map((x) => ({ what: x.step.replace(/ \(.*$/, ''), cpuMs: x.cpuMs })),
      { what: 'the token call beyond the token\'s own work (signer.sign minus (a))', cpuMs: step('signer.sign') - r.raw.sync.cpuMsPerSignature },
    ].sort((a, b) => b.cpuMs - a.cpuMs);
    const top = parts.filter((p) => p.cpuMs >= 0.1).map((p) => `${p.what} ${f(p.cpuMs, 2)}`).join('; ');
    return `- ${r.title}: ${f(d.nonSigningCpuMs, 2)} ms CPU per certificate outside the token in (b), import included. By step (CPU ms): ${top}.`;
  });
  return [
    '## Foundation: issuance and CRLs on SoftHSM2',
    '',
    'Run with `npm run bench` (about 5 minutes on this machine when it is otherwise idle; `npm run bench -- --quick` is a smoke check with small sizes that does not touch this file).',
    'It prints the table below and rewrites everything between its two markers in this file; other sections are left as they are.',
    '',
    `### Last run: ${date}${input.quick ? ' (quick sizes)' : ''}${input.profiled ? ' (with --cpu-prof, which slows every figure a little)' : ''}`,
    '',
    mdTable(['machine', ''], [
      ['CPU', `${m.cpuModel}, ${m.nproc} cores (nproc)`],
      ['memory', `${m.memoryGiB} GiB`],
      ['kernel', m.kernel],
      ['node', m.node],
      ['OpenSSL', m.openssl],
      ['SoftHSM2', m.softhsm],
      ['pkcs11 engine', m.libp11],
      ['Custos revision', m.revision],
      ['1-minute load average, start → end', `${f(input.load[0], 2)} → ${f(input.load[1], 2)}`],
      ['whole run', `${f(input.totalSeconds, 0)} s`],
    ]),
    '',
    // At the start only: by the end the benchmark's own two processes have raised the load average.
    input.load[0] > m.nproc * 0.5
      ? `The machine was busy with other work when the run began (load average above half its ${m.nproc} cores): wall-clock figures are slowed by it, and rates are lower than on an idle machine. The CPU columns (this process's user + system time) are much less affected; compare those between runs.\n`
      : '',
    mdTable(['', ...ds.map((d) => `${d.title} (${d.count} requests)`)], rowsOf(ds).map((r) => [...r])),
    '',
    'PKCS#11 calls per certificate in (b): ' + ds.map((d) => `${d.title}: ${d.pkcs11CallsPerCertificate}`).join('; ') + '.',
    '',
    mdTable(['CRL entries', 'Custos build + sign', 'Custos peak RSS', 'openssl ca -gencrl', 'openssl peak RSS', 'DER bytes (Custos / openssl)'], crl.rows.map((row) => [
      row.entries.toLocaleString('en'),
      row.custos ? `${f(row.custos.buildSeconds, 2)} + ${f(row.custos.signSeconds, 2)} = ${f(row.custos.seconds, 2)} s` : '–',
      row.custos ? `${row.custos.peakRssMiB} MiB (${row.custos.heldBeforeMiB} MiB before the build)` : '–',
      row.openssl ? `${f(row.openssl.seconds, 2)} s` : '–',
      row.openssl?.peakRssMiB !== undefined ? `${row.openssl.peakRssMiB} MiB` : '–',
      `${row.custos?.bytes ?? '–'} / ${row.openssl?.bytes ?? '–'}`,
    ])),
    crl.ok ? '' : `\nbench/crl.ts did not finish:\n\n\`\`\`\n${crl.text.slice(-1500)}\n\`\`\``,
    '',
    'Opening the data directory of a CA that has issued this many certificates (bench/journal.ts): the journal is read and verified a chunk at a time and the CA state rebuilt from it; the entries stay in the file.',
    '',
    mdTable(['certificates (journal entries)', 'journal size', 'open (read, verify, rebuild the state)', '`journal verify` alone', 'peak RSS of the opening process', 'heap after opening'], input.journal.map((j) => [
      `${j.certificates.toLocaleString('en')} (${j.entries.toLocaleString('en')})`, `${f(j.fileMiB, 0)} MiB`, `${f(j.openSeconds, 2)} s`, `${f(j.verifySeconds, 2)} s`,
      `${f(j.peakRssMiB, 0)} MiB (${f(j.rssBeforeMiB, 0)} MiB before opening)`, `${f(j.heapAfterMiB, 0)} MiB`,
    ])),
    '',
    '### Targets',
    '',
    mdTable(['target', 'measured', 'met'], targets(results, crl).map((t) => [t.what, t.measured, t.met ? 'yes' : '**no**'])),
    '',
    '### Where the time outside the token goes',
    '',
    `Each step of \`issueRequests\` for one request, timed on a second batch (${results.map((r) => `${r.steps.certificates} ${r.title}`).join(', ')}) by bench/support/issue-steps.ts, which calls the same core functions in the same order; ms per certificate:`,
    '',
    mdTable(stepHeader, [...stepRows, stepTotals]),
    '',
    'Each core function on that path called alone in a loop on this run\'s own inputs (bench/support/core-calls.ts); ms per call:',
    '',
    mdTable(callHeader, callRows),
    '',
    'Called alone in a loop, a function runs with hot caches, so these per-call costs sum to less than the same steps cost inside the pipeline (the steps table above).',
    '',
    'Outside the token, per certificate:',
    '',
    ...accounted,
    '',
    `fsync of a small append on the journal's disk, measured alone: ${results.map((r) => `${f(r.fsyncMs, 2)} ms (${r.title} run)`).join(', ')}.`,
    '',
  ].join('\n');
}
