/**
 * A SHA-256 as people read it aloud and compare it on paper: groups of four
 * hex digits, eight groups a line, in monospace.
 */
import Box from '@mui/material/Box';
import { monoSx } from '../../theme.ts';

const GROUP = 4;
const GROUPS_PER_LINE = 8;

export function fingerprintGroups(hex: string): string[][] {
  const groups = hex.match(new RegExp(`.{1,${GROUP}}`, 'g')) ?? [];
  const lines: string[][] = [];
  for (let i = 0; i < groups.length; i += GROUPS_PER_LINE) lines.push(groups.slice(i, i + GROUPS_PER_LINE));
  return lines;
}

export function Fingerprint({ hex }: { hex: string }) {
  return (
    <Box component="span" data-fingerprint={hex} sx={{ ...monoSx, wordBreak: 'normal', display: 'inline-block', whiteSpace: 'pre', fontSize: '0.85rem', lineHeight: 1.5 }}>
      {fingerprintGroups(hex).map((line, i) => <Box component="span" key={i} sx={{ display: 'block' }}>{line.join(' ')}</Box>)}
    </Box>
  );
}
