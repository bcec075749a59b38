/**
 * The Ceremony screen: choose a script and check it with the tokens in the
 * room, then run it step by step with its witnesses (CeremonyRun), or resume
 * the one an interruption left begun.
 */
import Button from '@mui/material/Button';
import { useCallback, useState } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { Page } from '../../components/Page.tsx';
import { CeremonyRun } from './CeremonyRun.tsx';
import { CeremonySetup } from './CeremonySetup.tsx';

type View = Output<'ceremony.start'>;

export function CeremonyScreen() {
  const [view, setView] = useState<View>();
  const onView = useCallback((v: View) => setView(v), []);
  return (
    <Page title="Ceremony" actions={view?.ended ? <Button variant="outlined" onClick={() => setView(undefined)}>Another ceremony</Button> : undefined}>
      {view ? <CeremonyRun view={view} onView={onView} /> : <CeremonySetup onStarted={onView} />}
    </Page>
  );
}
