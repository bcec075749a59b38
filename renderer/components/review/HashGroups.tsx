import Box from '@mui/material/Box';
import { monoSx } from '../../theme.ts';
import { hashGroups } from './words.ts';

/** A hash in groups of four, spaced for the eye; the spaces are text, so a screen reader reads groups too. */
export function HashGroups({ hex }: { hex: string }) {
  return (
    <Box component="span" data-testid="hash-groups" sx={{ ...monoSx, wordBreak: 'normal', overflowWrap: 'normal', wordSpacing: '0.35em' }}>
      {hashGroups(hex).join(' ')}
    </Box>
  );
}
