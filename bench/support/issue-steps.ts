/**
 * issueCertificate (main/ca/issue.ts) taken apart step by step, each step one
 * call into the core with a timer around it, so the time outside the token
 * can be laid at the door of one function. It calls the same exported
 * functions in the same order; keep it in step with issue.ts. The headline
 * figures come from issueCertificate itself, never from this.
 */
import { createHash } from 'node:crypto';
import { tokenRecord } from '../../main/hsm/token.ts';
import { planIssue, type IssueRequest } from '../../main/ca/issue.ts';
import { loadRequest, recordRequest } from '../../main/ca/requests.ts';
import type { CsrInfo } from '../../main/pki/x509/csr.ts';
import { b64, requireCa, type CaContext } from '../../main/ca/context.ts';
import { signTbs } from '../../main/pki/x509/issue.ts';
import { describeSigned } from '../../main/pki/x509/preview.ts';

export const STEPS = [
  'recordRequest (journal entry holding the request)',
  'requireCa',
  'loadRequest (the checked CsrInfo, handed over)',
  'tokens.requireKey (the CA key, found once per batch)',
  'planIssue (serial, profile, issuer, TBS, lint, preview)',
  'sha256 of the TBS',
  'journal.intend (intent written)',
  'journal.durable (fsync; a batch shares one among several intents)',
  'token.signer',
  'signTbs outside the token (signature check, encode)',
  'signer.sign (the token call, queue to DER)',
  'describeSigned (the plan\'s preview + digests)',
  'journal.complete (+ state projection)',
] as const;
export type Step = (typeof STEPS)[number];

/** Wall and CPU (this process, all threads) milliseconds, summed over the certificates issued. */
export interface StepTimes {
  readonly wallMs: Record<Step, number>;
  readonly cpuMs: Record<Step, number>;
}

export function emptyStepTimes(): StepTimes {
  return { wallMs: Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>, cpuMs: Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number> };
}

const cpuNowMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * One request of issueRequests (main/ca/issue.ts): recorded, then issued,
 * alone (no other request planned while the token signs, so its intent has
 * an fsync of its own). Leaf profiles only (the benchmark's tls-server): a CA
 * profile's naming is left out.
 */
export async function issueInSteps(ctx: CaContext, fileName: string, csr: CsrInfo, terms: Omit<IssueRequest, 'requestId' | 'csr'>, times: StepTimes): Promise<void> {
  let last = performance.now();
  let lastCpu = cpuNowMs();
  const lap = (step: Step): void => {
    const now = performance.now();
    const cpu = cpuNowMs();
    times.wallMs[step] += now - last;
    times.cpuMs[step] += cpu - lastCpu;
    last = now;
    lastCpu = cpu;
  };
  const req: IssueRequest = { ...terms, requestId: recordRequest(ctx, fileName, csr).id, csr };
  lap('recordRequest (journal entry holding the request)');
  const ca = requireCa(ctx, req.caId);
  lap('requireCa');
  const { csr: loaded } = loadRequest(ctx, req.requestId, req.csr);
  lap('loadRequest (the checked CsrInfo, handed over)');
  const { token, key } = await ctx.tokens.requireKey(ca.keySpkiSha256, `CA "${ca.name}"`);
  lap('tokens.requireKey (the CA key, found once per batch)');
  const { plan, serial } = planIssue(ctx, req, loaded, key.spki);
  lap('planIssue (serial, profile, issuer, TBS, lint, preview)');
  const tbsSha256 = createHash('sha256').update(plan.tbsDer).digest('hex');
  lap('sha256 of the TBS');
  const intent = ctx.journal.intend('certificate.issue', {
    caId: ca.id, requestId: req.requestId, profileId: req.profileId, subject: plan.preview.subject.text, serialHex: serial, tbsSha256,
  }, tokenRecord(token.info));
  lap('journal.intend (intent written)');
  await ctx.journal.durable(intent);
  lap('journal.durable (fsync; a batch shares one among several intents)');
  const signer = token.signer(key);
  let tokenMs = 0;
  let tokenCpuMs = 0;
  const timed = {
    ...signer,
    sign: async (message: Uint8Array, algorithm: Parameters<typeof signer.sign>[1]): Promise<Uint8Array> => {
      const start = performance.now();
      const startCpu = cpuNowMs();
      try {
        return await signer.sign(message, algorithm);
      } finally {
        tokenMs += performance.now() - start;
        tokenCpuMs += cpuNowMs() - startCpu;
      }
    },
  };
  lap('token.signer');
  const certDer = await signTbs(plan.linted, timed, plan.algorithm);
  lap('signTbs outside the token (signature check, encode)');
  times.wallMs['signTbs outside the token (signature check, encode)'] -= tokenMs;
  times.wallMs['signer.sign (the token call, queue to DER)'] += tokenMs;
  times.cpuMs['signTbs outside the token (signature check, encode)'] -= tokenCpuMs;
  times.cpuMs['signer.sign (the token call, queue to DER)'] += tokenCpuMs;
  const d = describeSigned(plan.preview, certDer);
  lap('describeSigned (the plan\'s preview + digests)');
  ctx.journal.complete(intent, {
    caId: ca.id, certificate: b64(certDer), sha256: d.sha256, serialHex: d.serialHex, subject: d.subject.text, issuer: d.issuer.text,
    notBefore: d.validity.notBefore, notAfter: d.validity.notAfter, profileId: req.profileId, isCa: false, requestId: req.requestId,
  });
  lap('journal.complete (+ state projection)');
}
