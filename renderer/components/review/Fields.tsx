/** The review's layout: a labelled list of fields, each value in words. */
import Box from '@mui/material/Box';
import type { ReactNode } from 'react';

export function Fields({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box component="dl" aria-label={label}
      sx={{ display: 'grid', gridTemplateColumns: { xs: 'minmax(0, 1fr)', sm: 'minmax(9rem, max-content) minmax(0, 1fr)' }, columnGap: 2, rowGap: 0.75, m: 0, minWidth: 0 }}>
      {children}
    </Box>
  );
}

export function Field({ name, children }: { name: string; children: ReactNode }) {
  return (
    <Box sx={{ display: 'contents' }}>
      <Box component="dt" sx={{ fontWeight: 600, color: 'text.secondary' }}>{name}</Box>
      <Box component="dd" sx={{ m: 0, minWidth: 0, overflowWrap: 'anywhere' }}>{children}</Box>
    </Box>
  );
}
