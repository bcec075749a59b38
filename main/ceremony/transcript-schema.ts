/**
 * The transcript's JSON twin as a schema: what `transcript verify` accepts
 * from a file (which may come back from anywhere on a USB stick) and what the
 * contract hands the window. Strict: a member this format does not know is
 * not silently carried along into a "verified" transcript.
 */
import { z } from 'zod';
import { TRANSCRIPT_FORMAT, type Transcript } from './transcript.ts';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hexadecimal');
const Time = z.string().max(64);
const Name = z.string().max(400);
const Role = z.enum(['administrator', 'custodian', 'witness']);
const Head = z.strictObject({ seq: z.number().int().min(0), hash: Hex64 });
const Confirmation = z.strictObject({ name: Name, role: Role, time: Time });
const Artifact = z.strictObject({ kind: z.string().max(64), name: Name, sha256: Hex64, path: z.string().max(4096).optional() });
const Custodian = z.strictObject({ chr: z.string().max(64), keySha256: Hex64 });
const Seq = z.number().int().min(1);

export const TranscriptStepSchema = z.strictObject({
  index: z.number().int().min(0),
  id: z.string().max(64),
  role: Role,
  act: z.string().max(64),
  instructions: z.string().max(4000),
  checks: z.array(z.string().max(4000)).max(20),
  quorum: z.boolean(),
  done: z.boolean(),
  seq: Seq.optional(),
  time: Time.optional(),
  performer: Confirmation.optional(),
  witnesses: z.array(Confirmation).max(20),
  artifacts: z.array(Artifact).max(1000),
  custodians: z.array(Custodian).max(64),
  actSeqs: z.array(Seq).max(10_000),
});

export const TranscriptSchema = z.strictObject({
  format: z.literal(TRANSCRIPT_FORMAT),
  ceremony: z.string().min(1).max(200),
  status: z.enum(['complete', 'incomplete']),
  outcome: z.enum(['completed', 'abandoned']).optional(),
  reason: z.string().max(4000).optional(),
  rehearsal: z.boolean(),
  script: z.strictObject({ id: z.string().max(64), title: z.string().max(200), version: z.number().int().min(1), sha256: Hex64 }),
  operator: Name,
  begin: z.strictObject({ seq: Seq, time: Time }),
  end: z.strictObject({ seq: Seq, time: Time }).optional(),
  headBefore: Head,
  checkpointBefore: Head.optional(),
  headAfter: Head.optional(),
  checkpointAfter: Head.optional(),
  steps: z.array(TranscriptStepSchema).max(200),
  signatures: z.array(z.strictObject({ name: Name, role: Role })).max(1000),
});

// The schema and the builder's type must describe the same object: this fails to compile when they part.
const _sameShape: Transcript = {} as z.infer<typeof TranscriptSchema>;
void _sameShape;
