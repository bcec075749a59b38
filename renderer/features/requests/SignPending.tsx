/**
 * Several pending requests signed in one go: each is previewed and listed with
 * its TBS hash and warnings first, then signed as reviewed, with the core's
 * progress after each certificate and a Cancel that stops between two.
 */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { hasBlockingFinding } from '../../components/FindingsList.tsx';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { HashGroups } from '../../components/review/HashGroups.tsx';
import { useCatalog } from '../../db/CatalogProvider.tsx';
import { useCas } from '../../db/hooks.ts';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { visibleText } from '../../../main/api/visible-text.ts';

interface Pending { id: string; subject: string }

export function SignPending({ pending }: { pending: readonly Pending[] }) {
  const { sync } = useCatalog();
  const cas = useCas();
  const profiles = useCall('profile.list', undefined);
  const issuingProfiles = useMemo(() => (profiles.data ?? []).filter((p) => p.kind !== 'root'), [profiles.data]);
  const [caId, setCaId] = useState('');
  const [profileId, setProfileId] = useState('');
  const [warningsRead, setWarningsRead] = useState(false);
  useEffect(() => { if (!caId && cas[0]) setCaId(cas[0].id); }, [cas, caId]);

  const terms = useMemo(() => ({ caId, profileId }), [caId, profileId]);
  // By content: the catalog hands a new array after every journal entry, and the batch itself makes some.
  const idKey = pending.map((p) => p.id).join(',');
  const ids = useMemo(() => (idKey ? idKey.split(',') : []), [idKey]);
  // Each with its subject as it was then: the ones the batch signs leave the pending list while the table still shows them.
  // One batch per preview run: the core holds all its previews until the batch is signed (not only the last 64).
  const preview = useAction(useCallback(async (t: typeof terms, requests: readonly Pending[]) => {
    const batch = crypto.randomUUID();
    const out = [];
    for (const r of requests) out.push({ requestId: r.id, subject: r.subject, preview: await api.call('request.preview', { ...t, requestId: r.id, batch }) });
    return { batch, items: out };
  }, []));
  const sign = useAction(useCallback(async (t: typeof terms, batch: string, items: { requestId: string; tbsSha256: string }[]) => {
    try {
      return await api.call('request.signBatch', { ...t, items, batch });
    } finally {
      // Whatever was signed before a stop is signed: the list shows it either way.
      await sync();
    }
  }, [sync]));
  const { reset: resetPreview } = preview;
  const { reset: resetSign } = sign;
  // Other terms: the previews listed no longer describe what would be signed.
  useEffect(() => { resetPreview(); resetSign(); setWarningsRead(false); }, [terms, resetPreview, resetSign]);
  // Other pending requests (one imported, or one signed on its own) likewise; but not the ones this batch signs,
  // whose outcome stays in view until the next preview.
  const batchTouched = sign.running || sign.result !== undefined || sign.error !== undefined;
  useEffect(() => { if (!batchTouched) { resetPreview(); setWarningsRead(false); } }, [ids]); // batchTouched read as it is when the list changes

  const previews = preview.result?.items ?? [];
  const warnings = previews.reduce((n, p) => n + (p.preview.review?.warnings.length ?? 0), 0);
  const blocked = previews.filter((p) => hasBlockingFinding(p.preview.findings)).length;
  const canSign = previews.length > 0 && blocked === 0 && (warnings === 0 || warningsRead) && !sign.running && sign.result === undefined;

  return (
    <Box>
      <Stack component="form" direction="row" spacing={2} sx={{ flexWrap: 'wrap', rowGap: 2 }} aria-label="Sign every pending request"
        onSubmit={(e) => { e.preventDefault(); if (caId && profileId && ids.length > 0) { resetSign(); setWarningsRead(false); void preview.run(terms, pending); } }}>
        <TextField select size="small" label="Issuing CA" value={caId} onChange={(e) => setCaId(e.target.value)} required sx={{ minWidth: 220 }}>
          {cas.map((c) => <MenuItem key={c.id} value={c.id}>{visibleText(c.name)}{c.token?.virtual ? ' (VIRTUAL)' : ''}</MenuItem>)}
        </TextField>
        <TextField select size="small" label="Profile" value={profileId} onChange={(e) => setProfileId(e.target.value)} required sx={{ minWidth: 220 }}>
          {issuingProfiles.map((p) => <MenuItem key={p.id} value={p.id}>{p.title}</MenuItem>)}
        </TextField>
        <Button type="submit" variant="outlined" disabled={!caId || !profileId || ids.length === 0 || preview.running || sign.running}>
          {preview.running ? 'Previewing…' : `Preview all ${pending.length}`}
        </Button>
      </Stack>
      <ErrorAlert error={preview.error} />
      {previews.length > 0 && (
        <Table size="small" aria-label="Certificates to sign" sx={{ mt: 2, tableLayout: 'fixed', width: '100%', '& td, & th': { overflowWrap: 'anywhere', verticalAlign: 'top' } }}>
          <TableHead>
            <TableRow>
              <TableCell sx={{ width: '30%' }}>Subject</TableCell>
              <TableCell>TBS SHA-256, as it will be signed</TableCell>
              <TableCell sx={{ width: '22%' }}>Stop for</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {previews.map((p) => {
              const stops = [...p.preview.findings.filter((f) => f.severity === 'error').map((f) => f.code), ...(p.preview.review?.warnings ?? []).map((w) => w.code)];
              return (
                <TableRow key={p.requestId}>
                  <TableCell>{visibleText(p.subject)}</TableCell>
                  <TableCell><HashGroups hex={p.preview.tbsSha256} /></TableCell>
                  <TableCell>{stops.length ? stops.join(', ') : 'nothing'}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      {blocked > 0 && <Typography role="status" sx={{ mt: 1 }}>{blocked === 1 ? 'One request has' : `${blocked} requests have`} an error finding: open {blocked === 1 ? 'it' : 'each'} above and sign the others one by one.</Typography>}
      {warnings > 0 && blocked === 0 && !sign.result && (
        <FormControlLabel sx={{ mt: 1, display: 'flex' }} control={<Checkbox checked={warningsRead} onChange={(e) => setWarningsRead(e.target.checked)} />}
          label={`I have read the ${warnings === 1 ? 'warning' : `${warnings} warnings`} (open each request to read it) and these certificates are still to be signed`} />
      )}
      {previews.length > 0 && (
        <Stack direction="row" spacing={2} sx={{ mt: 2 }}>
          <Button variant="contained" disabled={!canSign} onClick={() => { if (preview.result) void sign.run(terms, preview.result.batch, previews.map((p) => ({ requestId: p.requestId, tbsSha256: p.preview.tbsSha256 }))); }}>
            {sign.running ? 'Signing…' : `Sign ${previews.length} certificates`}
          </Button>
        </Stack>
      )}
      {/* Its Cancel stops the batch between two certificates, never inside one. */}
      <WorkProgress running={sign.running} label={`Signing ${previews.length} certificates on the token`} operation="request.signBatch" />
      <ErrorAlert error={sign.error} />
      {sign.result && (
        <Typography role="status" sx={{ mt: 1 }}>
          Signed {sign.result.issued.length} of {sign.result.issued.length + sign.result.notSigned.length}
          {sign.result.cancelled ? `; stopped as asked, ${sign.result.notSigned.length} not signed and still pending.` : '.'}
        </Typography>
      )}
    </Box>
  );
}
