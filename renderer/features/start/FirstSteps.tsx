/**
 * What a person sees first, until a CA exists: the two ways to begin, in
 * words. A rehearsal runs on virtual SmartCard-HSMs with its own journal; a
 * ceremony needs an HSM in a reader (or a PKCS#11 module named in the data
 * directory's config.json).
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardActions from '@mui/material/CardActions';
import CardContent from '@mui/material/CardContent';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { useAppState } from '../../AppState.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';

export interface FirstStepsProps {
  onDismiss: () => void;
  /** Starts a rehearsal from the window (absent when the core cannot switch to one). */
  rehearsalAction?: ReactNode;
}

export function FirstSteps({ onDismiss, rehearsalAction }: FirstStepsProps) {
  const { info, tokens, rehearsal, reloadTokens, tokensError } = useAppState();
  const hardware = tokens.filter((t) => !t.virtual);
  return (
    <Box component="section" aria-labelledby="first-steps-title" data-testid="first-steps" sx={{ mb: 3 }}>
      <Typography id="first-steps-title" variant="h2" component="h2" sx={{ mb: 1 }}>Where to begin</Typography>
      <Typography variant="body1" sx={{ mb: 2 }}>
        No certificate authority exists here yet. Rehearse the ceremony first, then hold it on the HSMs.
      </Typography>
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: 'minmax(0, 1fr)', md: 'repeat(2, minmax(0, 1fr))' }, gap: 2 }}>
        <Card variant="outlined" component="article" aria-labelledby="first-steps-rehearse">
          <CardContent>
            <Typography id="first-steps-rehearse" variant="h3" component="h3" sx={{ mb: 1 }}>Rehearse a ceremony</Typography>
            <Typography variant="body2">
              Virtual SmartCard-HSMs (a CA HSM, a backup HSM and three custodian tokens, user PIN 123456) with a journal of their own.
              Everything made in a rehearsal is marked VIRTUAL and is never a production artifact.
            </Typography>
            {rehearsal && <Alert severity="info" sx={{ mt: 1 }}>This window is in a rehearsal: the tokens below are virtual.</Alert>}
          </CardContent>
          <CardActions>{rehearsalAction}</CardActions>
        </Card>
        <Card variant="outlined" component="article" aria-labelledby="first-steps-hsm">
          <CardContent>
            <Typography id="first-steps-hsm" variant="h3" component="h3" sx={{ mb: 1 }}>Connect an HSM</Typography>
            {rehearsal && info?.rehearsal ? (
              <Typography variant="body2">A rehearsal keeps to its virtual tokens: restart Custos to leave it and use the HSMs in the readers.</Typography>
            ) : (
              <Typography variant="body2">
                Put the SmartCard-HSM in its reader, or name the PKCS#11 module of another HSM in {info ? <code>{info.dataDir}/config.json</code> : 'the data directory’s config.json'}.
                Then log in to it under Tokens and generate the root key.
              </Typography>
            )}
            <Typography variant="body2" sx={{ mt: 1 }} role="status">
              {hardware.length === 0 ? 'No HSM found yet.' : `${hardware.length} HSM${hardware.length === 1 ? '' : 's'} found: ${hardware.map((t) => t.label).join(', ')}.`}
            </Typography>
            <ErrorAlert error={tokensError} />
          </CardContent>
          <CardActions>
            <Button variant="outlined" onClick={reloadTokens}>Look for HSMs again</Button>
          </CardActions>
        </Card>
      </Box>
      <Button sx={{ mt: 1 }} onClick={onDismiss}>Hide these first steps</Button>
    </Box>
  );
}
