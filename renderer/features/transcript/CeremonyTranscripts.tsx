/**
 * The journal's ceremonies, each with a link to its transcript: how the
 * transcript page is reached from the Journal screen.
 */
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Link from '@mui/material/Link';
import Typography from '@mui/material/Typography';
import { Section } from '../../components/Page.tsx';
import { useCall } from '../../hooks/useCall.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { transcriptHref } from './transcriptRoute.ts';

const STATUS_WORDS = { running: 'not ended', completed: 'completed', abandoned: 'abandoned' } as const;

export function CeremonyTranscripts() {
  const ceremonies = useCall('transcript.ceremonies', undefined);
  const list = ceremonies.data ?? [];
  if (list.length === 0) return null;
  return (
    <Section title="Ceremonies">
      <Box component="ul" sx={{ m: 0, pl: 0, listStyle: 'none' }}>
        {list.map((c) => (
          <Box component="li" key={c.ceremony} sx={{ mb: 1, display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}>
            <Link href={transcriptHref(c.ceremony)}>Transcript of {visibleText(c.ceremony)}</Link>
            <Typography component="span" variant="body2">{visibleText(c.scriptTitle)} · began {c.began} · {STATUS_WORDS[c.status]}</Typography>
            {c.rehearsal && <Chip size="small" label="REHEARSAL" />}
          </Box>
        ))}
      </Box>
    </Section>
  );
}
