/**
 * The readable review's fields of the contract's outputs (Preview.readable and
 * .review, CertificateDetail.readable, request.get's readable), made from the
 * core's pure descriptions. The core's types are deeply readonly; the
 * contract's are plain JSON, which is what crosses to the window anyway.
 */
import type { z } from 'zod';
import type { CsrInfo } from '../pki/x509/csr.ts';
import type { CertificatePlan } from '../pki/x509/issue.ts';
import type { TbsDescription } from '../pki/x509/preview.ts';
import type { Profile } from '../pki/x509/profiles.ts';
import { readableTbs } from '../pki/x509/readable.ts';
import { readableRequest, reviewRequest } from '../ca/request-review.ts';
import type { ReadableRequest, ReadableTbs, RequestReview } from './contract.ts';

const plain = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;

export const readableOut = (tbs: TbsDescription): z.output<typeof ReadableTbs> => plain(readableTbs(tbs));
export const readableRequestOut = (csr: CsrInfo): z.output<typeof ReadableRequest> => plain(readableRequest(csr));
export const requestReviewOut = (csr: CsrInfo, plan: CertificatePlan, profile: Profile): z.output<typeof RequestReview> => plain(reviewRequest(csr, plan, profile));
