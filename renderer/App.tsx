import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CssBaseline from '@mui/material/CssBaseline';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import { ThemeProvider } from '@mui/material/styles';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import useMediaQuery from '@mui/material/useMediaQuery';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from './api.ts';
import { AppStateProvider, useAppState } from './AppState.tsx';
import { ErrorAlert } from './components/ErrorAlert.tsx';
import { CatalogProvider, useCatalog } from './db/CatalogProvider.tsx';
import { useCas } from './db/hooks.ts';
import { FirstSteps } from './features/start/FirstSteps.tsx';
import { useAction } from './hooks/useAction.ts';
import { CaScreen } from './features/ca/CaScreen.tsx';
import { CertificatesScreen } from './features/certificates/CertificatesScreen.tsx';
import { CrlScreen } from './features/crl/CrlScreen.tsx';
import { CvcScreen } from './features/cvc/CvcScreen.tsx';
import { JournalScreen } from './features/journal/JournalScreen.tsx';
import { KeyDomainScreen } from './features/keydomain/KeyDomainScreen.tsx';
import { RequestsScreen } from './features/requests/RequestsScreen.tsx';
import { TokensScreen } from './features/tokens/TokensScreen.tsx';
import { QuorumScreen } from './features/quorum/QuorumScreen.tsx';
import { TranscriptScreen } from './features/transcript/TranscriptScreen.tsx';
import { useTranscriptRoute } from './features/transcript/transcriptRoute.ts';
import { CeremonyScreen } from './features/ceremony/CeremonyScreen.tsx';
import { ROUTES, useRoute, type RouteId } from './routes.ts';
import { createAppTheme, rehearsalBannerSx, type ThemeMode } from './theme.ts';

const THEME_KEY = 'custos.theme';
const NAV_KEY = 'custos.nav';
const FIRST_STEPS_KEY = 'custos.firstSteps';
/** Below this width the sections start collapsed, so a 1024 px screen gives its width to the work. */
const WIDE_ENOUGH_FOR_NAV_PX = 1200;

function initialMode(): ThemeMode {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function RehearsalBanner() {
  const { rehearsal } = useAppState();
  if (!rehearsal) return null;
  return (
    <Box role="note" aria-label="Rehearsal" sx={rehearsalBannerSx} data-testid="rehearsal-banner">
      REHEARSAL — virtual or test tokens: nothing made here is a production artifact
    </Box>
  );
}

function Screen({ route }: { route: RouteId }) {
  switch (route) {
    case 'tokens': return <TokensScreen />;
    case 'ca': return <CaScreen />;
    case 'requests': return <RequestsScreen />;
    case 'certificates': return <CertificatesScreen />;
    case 'crl': return <CrlScreen />;
    case 'cvc': return <CvcScreen />;
    case 'journal': return <JournalScreen />;
    case 'quorum': return <QuorumScreen />;
    case 'ceremony': return <CeremonyScreen />;
    case 'keydomain': return <KeyDomainScreen />;
  }
}

/** A rehearsal started from the window: the core switches, and the catalog follows it to the rehearsal's journal. */
function StartRehearsalButton() {
  const { info, rehearsal, reloadInfo, reloadTokens } = useAppState();
  const start = useAction(useCallback(async () => {
    const started = await api.call('app.startRehearsal');
    reloadInfo();
    reloadTokens();
    return started;
  }, [reloadInfo, reloadTokens]));
  if (rehearsal && info?.rehearsal) return <Button variant="outlined" href="#/tokens">Go to the rehearsal tokens</Button>;
  return (
    <Box>
      <Button variant="contained" onClick={() => void start.run()} disabled={start.running}>{start.running ? 'Starting…' : 'Start a rehearsal'}</Button>
      <ErrorAlert error={start.error} />
    </Box>
  );
}

function FirstLaunch() {
  const cas = useCas();
  const { syncing } = useCatalog();
  const [hidden, setHidden] = useState(() => localStorage.getItem(FIRST_STEPS_KEY) === 'hidden');
  if (hidden || syncing || cas.length > 0) return null;
  return <FirstSteps onDismiss={() => { localStorage.setItem(FIRST_STEPS_KEY, 'hidden'); setHidden(true); }} rehearsalAction={<StartRehearsalButton />} />;
}

function Shell({ mode, onToggleMode }: { mode: ThemeMode; onToggleMode: () => void }) {
  const route = useRoute();
  const { info, tokensError } = useAppState();
  const wide = useMediaQuery(`(min-width:${WIDE_ENOUGH_FOR_NAV_PX}px)`, { noSsr: true });
  const [navChoice, setNavChoice] = useState<'open' | 'closed' | undefined>(() => {
    const saved = localStorage.getItem(NAV_KEY);
    return saved === 'open' || saved === 'closed' ? saved : undefined;
  });
  const navOpen = navChoice === undefined ? wide : navChoice === 'open';
  const toggleNav = () => { const next = navOpen ? 'closed' : 'open'; localStorage.setItem(NAV_KEY, next); setNavChoice(next); };
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', minHeight: '100vh' }}>
      <AppBar position="static" component="header" color="primary">
        <Toolbar sx={{ gap: 2 }}>
          <Typography variant="h6" component="p" sx={{ flexGrow: 1 }}>
            Custos{info ? ` ${info.version}` : ''}
            {info && <Typography component="span" variant="body2" sx={{ ml: 2 }}>operator: {info.operator}</Typography>}
          </Typography>
          <Button color="inherit" variant="outlined" onClick={toggleNav} aria-expanded={navOpen} aria-controls="sections-nav">
            {navOpen ? 'Hide sections' : 'Sections'}
          </Button>
          <Button color="inherit" variant="outlined" onClick={onToggleMode} aria-pressed={mode === 'dark'}>
            {mode === 'dark' ? 'Light theme' : 'Dark theme'}
          </Button>
        </Toolbar>
      </AppBar>
      <RehearsalBanner />
      <Box sx={{ display: 'flex', flexGrow: 1 }}>
        <Box component="nav" id="sections-nav" aria-label="Sections" hidden={!navOpen}
          sx={{ width: { xs: 200, lg: 240 }, flexShrink: 0, borderRight: 1, borderColor: 'divider', bgcolor: 'background.paper', display: navOpen ? 'block' : 'none' }}>
          <List component="div">
            {ROUTES.map((r) => (
              <ListItemButton key={r.id} component="a" href={`#/${r.id}`} selected={route === r.id} aria-current={route === r.id ? 'page' : undefined}>
                <ListItemText primary={r.title} />
              </ListItemButton>
            ))}
          </List>
        </Box>
        <Box component="main" sx={{ flexGrow: 1, p: { xs: 2, lg: 3 }, minWidth: 0 }}>
          <ErrorAlert error={tokensError} />
          {route === 'tokens' && <FirstLaunch />}
          <Screen route={route} />
        </Box>
      </Box>
    </Box>
  );
}

export function App() {
  const [mode, setMode] = useState<ThemeMode>(initialMode);
  const theme = useMemo(() => createAppTheme(mode), [mode]);
  useEffect(() => { localStorage.setItem(THEME_KEY, mode); document.documentElement.style.colorScheme = mode; }, [mode]);
  // A transcript is a page of its own, without the sections: it is what gets printed.
  const transcriptOf = useTranscriptRoute();
  if (transcriptOf !== undefined) {
    return <ThemeProvider theme={theme}><CssBaseline /><TranscriptScreen ceremony={transcriptOf} /></ThemeProvider>;
  }
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <AppStateProvider>
        <CatalogProvider>
          <Shell mode={mode} onToggleMode={() => setMode((m) => (m === 'dark' ? 'light' : 'dark'))} />
        </CatalogProvider>
      </AppStateProvider>
    </ThemeProvider>
  );
}
