/**
 * Renders a Description (every field and extension of a certificate, request
 * or TBS, decoded by the core) as nested definition lists, so nothing the core
 * reported is hidden from the person about to sign or check it.
 */
import Box from '@mui/material/Box';
import { monoSx } from '../theme.ts';
import { visibleText } from '../../main/api/visible-text.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function Value({ value }: { value: unknown }) {
  if (Array.isArray(value)) {
    if (value.length === 0) return <span>(none)</span>;
    return (
      <Box component="ol" sx={{ m: 0, pl: 3 }}>
        {value.map((v, i) => <li key={i}><Value value={v} /></li>)}
      </Box>
    );
  }
  if (isRecord(value)) return <DescriptionView value={value} nested />;
  if (value === null || value === undefined) return <span>(none)</span>;
  const text = visibleText(String(value));
  return <Box component="span" sx={/^[0-9a-f:]{16,}$/i.test(text) ? monoSx : undefined}>{text}</Box>;
}

export function DescriptionView({ value, nested = false, label }: { value: Record<string, unknown>; nested?: boolean; label?: string }) {
  return (
    <Box
      component="dl"
      aria-label={label}
      sx={{ display: 'grid', gridTemplateColumns: nested ? 'max-content minmax(0, 1fr)' : 'minmax(8rem, max-content) minmax(0, 1fr)', columnGap: 2, rowGap: 0.5, m: 0, minWidth: 0, ...(nested ? { pl: 1, borderLeft: 2, borderColor: 'divider' } : {}) }}
    >
      {Object.entries(value).map(([k, v]) => (
        <Box key={k} sx={{ display: 'contents' }}>
          <Box component="dt" sx={{ fontWeight: 600 }}>{k}</Box>
          <Box component="dd" sx={{ m: 0, minWidth: 0 }}><Value value={v} /></Box>
        </Box>
      ))}
    </Box>
  );
}
