/**
 * A certificate, or the TBS about to be signed, as people read it: who it
 * names (in the order typed), its key and fingerprint, how long it is valid,
 * what it may be used for, its names, whether it is a CA.
 */
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import type { z } from 'zod';
import type { ReadableTbs } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { Field, Fields } from './Fields.tsx';
import { HashGroups } from './HashGroups.tsx';
import { NameParts } from './NameParts.tsx';
import { localTime } from './words.ts';

export type Readable = z.output<typeof ReadableTbs>;

const critical = (c: boolean) => (c ? ' (critical)' : '');

export function CertificateReview({ readable, label }: { readable: Readable; label: string }) {
  const r = readable;
  return (
    <Fields label={label}>
      <Field name="Subject"><NameParts parts={r.subject} label="Subject" /></Field>
      <Field name="Issuer"><NameParts parts={r.issuer} label="Issuer" /></Field>
      <Field name="Key">{r.key.description}</Field>
      <Field name="Key fingerprint (SHA-256)"><HashGroups hex={r.key.spkiSha256} /></Field>
      <Field name="Valid from">{localTime(r.validity.notBefore)}</Field>
      <Field name="Valid until">{localTime(r.validity.notAfter)}</Field>
      <Field name="Valid for">{r.validity.duration} ({r.validity.days} days)</Field>
      <Field name="CA">
        {r.basicConstraints
          ? <>{r.basicConstraints.ca && <Chip size="small" color="secondary" label="CA" sx={{ mr: 1 }} />}{r.basicConstraints.text}{critical(r.basicConstraints.critical)}</>
          : 'Not stated (no basicConstraints)'}
      </Field>
      <Field name="Key usage">{r.keyUsage ? `${r.keyUsage.usages.join(', ')}${critical(r.keyUsage.critical)}` : 'Not limited'}</Field>
      <Field name="Extended key usage">{r.extendedKeyUsage ? `${r.extendedKeyUsage.purposes.join(', ')}${critical(r.extendedKeyUsage.critical)}` : 'Not limited'}</Field>
      <Field name="Alternative names">
        {r.subjectAltNames.length === 0 ? 'None' : (
          <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
            {r.subjectAltNames.map((n, i) => <li key={i}>{n.kind}: <strong>{visibleText(n.value)}</strong></li>)}
          </Box>
        )}
      </Field>
      <Field name="Serial number"><HashGroups hex={r.serialHex} /></Field>
      <Field name="Signature algorithm">{r.signatureAlgorithm}</Field>
      {r.otherExtensions.length > 0 && (
        <Field name="Other extensions">
          <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
            {r.otherExtensions.map((e, i) => (
              <li key={i}><strong>{e.known ? e.name : `Unknown extension ${e.oid}`}</strong>{critical(e.critical)}: {visibleText(e.text)}</li>
            ))}
          </Box>
        </Field>
      )}
    </Fields>
  );
}
