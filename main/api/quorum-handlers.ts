/**
 * The quorum channels of the contract (quorum.*), registered by handlers.ts:
 * each custodian's PIN becomes a Secret here and goes only to their token.
 */
import { Secret } from '../secret.ts';
import type { Custos } from '../custos.ts';
import { authenticateCustodian, enrolCustodian, previewRegistration, quorumStatus, registerCustodian, type QuorumStatus } from '../quorum/quorum.ts';
import type { Handlers } from './contract.ts';

type QuorumChannels = Pick<Handlers, 'quorum.status' | 'quorum.authenticate' | 'quorum.enrol' | 'quorum.previewRegistration' | 'quorum.register'>;

const bytesOf = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));

function view(s: QuorumStatus): Awaited<ReturnType<QuorumChannels['quorum.status']>> {
  return {
    tokenId: s.tokenId, label: s.label, serial: s.serial, summary: s.summary,
    ...(s.quorum !== undefined ? { quorum: { ...s.quorum, custodians: s.quorum.custodians.map((c) => ({ ...c })) } } : {}),
    registered: s.registered.map((r) => ({ ...r })),
    ...(s.onCard !== undefined ? { onCard: s.onCard.map((c) => ({ ...c })) } : {}),
  };
}

export function quorumHandlers(custos: Custos): QuorumChannels {
  return {
    'quorum.status': async ({ tokenId }) => view(await quorumStatus(custos, tokenId)),
    'quorum.authenticate': async ({ tokenId, custodianTokenId, pin, confirmFinalTry }) =>
      view(await authenticateCustodian(custos, tokenId, custodianTokenId, Secret.fromString(pin), { confirmFinalTry: confirmFinalTry ?? false })),
    'quorum.enrol': async ({ custodianTokenId, pin, forTokenId, confirmFinalTry }) => {
      const { file, candidate } = await enrolCustodian(custos, custodianTokenId, Secret.fromString(pin), {
        ...(forTokenId !== undefined ? { forTokenId } : {}), confirmFinalTry: confirmFinalTry ?? false,
      });
      const { request: _request, ...shown } = candidate;
      return { fileName: `${candidate.chr}.pka`, contentBase64: Buffer.from(file).toString('base64'), candidate: shown };
    },
    'quorum.previewRegistration': async ({ tokenId, contentBase64 }) => {
      const p = await previewRegistration(custos, tokenId, bytesOf(contentBase64));
      return { candidate: { ...p.candidate }, attested: p.attested, needsConfirmation: p.needsConfirmation };
    },
    'quorum.register': async ({ tokenId, contentBase64, confirmUnattested }) =>
      view(await registerCustodian(custos, tokenId, bytesOf(contentBase64), { confirmUnattested: confirmUnattested ?? false })),
  };
}
