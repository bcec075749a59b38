/**
 * The certificate list, virtualised: only the rows in view are in the DOM, so
 * a CA with 100,000 certificates scrolls like one with ten.
 */
import Box from '@mui/material/Box';
import ListItemButton from '@mui/material/ListItemButton';
import Typography from '@mui/material/Typography';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { CertificateRow } from '../../db/catalog.ts';
import { monoSx } from '../../theme.ts';
import { visibleText } from '../../../main/api/visible-text.ts';

export const CERTIFICATE_ROW_PX = 56;

export function CertificateList({ rows, selectedKey, onSelect }: { rows: CertificateRow[]; selectedKey: string | undefined; onSelect: (row: CertificateRow) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => CERTIFICATE_ROW_PX, overscan: 8 });
  return (
    <Box ref={scroller} data-testid="certificate-list" role="region" aria-label="Certificate list" tabIndex={0}
      sx={{ height: 420, overflow: 'auto', border: 1, borderColor: 'divider', borderRadius: 1 }}>
      <Box role="list" sx={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index]!;
          const key = `${row.caId}/${row.serialHex}`;
          return (
            <Box role="listitem" key={key} sx={{ position: 'absolute', top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }}>
              <ListItemButton selected={key === selectedKey} onClick={() => onSelect(row)} sx={{ height: '100%', display: 'block', py: 0.5 }} aria-label={`${visibleText(row.subject)}, serial ${row.serialHex}, ${row.status}`}>
                <Typography variant="body2" noWrap sx={{ fontWeight: 600 }}>
                  {visibleText(row.subject)}{row.status === 'revoked' ? ' — REVOKED' : ''}{row.virtual ? ' — VIRTUAL' : ''}
                </Typography>
                <Typography variant="caption" noWrap component="p" sx={monoSx}>{row.serialHex} · until {row.notAfter.slice(0, 10)}</Typography>
              </ListItemButton>
            </Box>
          );
        })}
      </Box>
    </Box>
  );
}
