/** A request as people read it: the subject in the order typed, its key, names and extensions, and that its signature was checked. */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import type { Output } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { DescriptionView } from '../DescriptionView.tsx';
import { DetailsToggle } from './DetailsToggle.tsx';
import { Field, Fields } from './Fields.tsx';
import { HashGroups } from './HashGroups.tsx';
import { NameParts } from './NameParts.tsx';

export function RequestView({ request }: { request: Output<'request.get'> }) {
  const r = request.readable;
  return (
    <Box data-testid="request-review" sx={{ minWidth: 0 }}>
      {r && (
        <>
          <Alert severity="success" sx={{ mb: 1.5 }} data-testid="request-signature">
            Signature checked: the request was signed with its own key ({r.signature.algorithm}) and the signature verified when it was imported.
          </Alert>
          <Fields label="The request">
            <Field name="Subject"><NameParts parts={r.subject} label="Requested subject" /></Field>
            <Field name="Key">{r.key.description}</Field>
            <Field name="Key fingerprint (SHA-256)"><HashGroups hex={r.key.spkiSha256} /></Field>
            <Field name="Alternative names">
              {r.subjectAltNames.length === 0 ? 'None' : (
                <Box component="ul" sx={{ m: 0, pl: 2.5 }}>{r.subjectAltNames.map((n, i) => <li key={i}>{n.kind}: <strong>{visibleText(n.value)}</strong></li>)}</Box>
              )}
            </Field>
            <Field name="Extensions asked for">
              {r.requestedExtensions.length === 0 ? 'None' : (
                <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
                  {r.requestedExtensions.map((e, i) => <li key={i}><strong>{e.known ? e.name : `Unknown extension ${e.oid}`}</strong>{e.critical ? ' (critical)' : ''}: {visibleText(e.text)}</li>)}
                </Box>
              )}
            </Field>
            <Field name="Request SHA-256"><HashGroups hex={r.sha256} /></Field>
          </Fields>
        </>
      )}
      <DetailsToggle defaultOpen={!r}>
        <DescriptionView value={request.description} label="Decoded request" />
      </DetailsToggle>
    </Box>
  );
}
