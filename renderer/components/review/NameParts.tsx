import Box from '@mui/material/Box';
import type { z } from 'zod';
import type { ReadableNamePart } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';

/** A distinguished name in the order it was typed, most significant first, one attribute a line. */
export function NameParts({ parts, label }: { parts: readonly z.output<typeof ReadableNamePart>[]; label: string }) {
  return (
    <Box component="ol" aria-label={label} sx={{ listStyle: 'none', m: 0, p: 0 }}>
      {parts.map((p, i) => (
        <li key={i}>
          <Box component="span" sx={{ color: 'text.secondary' }}>{p.label} ({p.type}): </Box>
          <strong>{visibleText(p.value)}</strong>
        </li>
      ))}
    </Box>
  );
}
