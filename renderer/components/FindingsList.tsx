import Alert from '@mui/material/Alert';
import Stack from '@mui/material/Stack';
import type { z } from 'zod';
import type { Finding } from '../../main/api/contract.ts';
import { visibleText } from '../../main/api/visible-text.ts';

type FindingValue = z.output<typeof Finding>;

export function hasBlockingFinding(findings: readonly FindingValue[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

export function FindingsList({ findings }: { findings: readonly FindingValue[] }) {
  if (findings.length === 0) return <Alert severity="success">No lint findings.</Alert>;
  return (
    <Stack spacing={1} component="ul" aria-label="Lint findings" sx={{ listStyle: 'none', p: 0, m: 0 }}>
      {findings.map((f, i) => (
        <li key={i}>
          <Alert severity={f.severity}><strong>{f.code}</strong>: {visibleText(f.message)}</Alert>
        </li>
      ))}
    </Stack>
  );
}
