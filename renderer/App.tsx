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
import { useEffect, useMemo, useState } from 'react';
import { AppStateProvider, useAppState } from './AppState.tsx';
import { ErrorAlert } from './components/ErrorAlert.tsx';
import { CatalogProvider } from './db/CatalogProvider.tsx';
import { CaScreen } from './features/ca/CaScreen.tsx';
import { CertificatesScreen } from './features/certificates/CertificatesScreen.tsx';
import { CrlScreen } from './features/crl/CrlScreen.tsx';
import { CvcScreen } from './features/cvc/CvcScreen.tsx';
import { JournalScreen } from './features/journal/JournalScreen.tsx';
import { KeyDomainScreen } from './features/keydomain/KeyDomainScreen.tsx';
import { RequestsScreen } from './features/requests/RequestsScreen.tsx';
import { TokensScreen } from './features/tokens/TokensScreen.tsx';
import { QuorumScreen } from './features/quorum/QuorumScreen.tsx';
import { ROUTES, useRoute, type RouteId } from './routes.ts';
import { createAppTheme, rehearsalBannerSx, type ThemeMode } from './theme.ts';

const THEME_KEY = 'custos.theme';

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
    case 'keydomain': return <KeyDomainScreen />;
  }
}

function Shell({ mode, onToggleMode }: { mode: ThemeMode; onToggleMode: () => void }) {
  const route = useRoute();
  const { info, tokensError } = useAppState();
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', minHeight: '100vh' }}>
      <AppBar position="static" component="header" color="primary">
        <Toolbar sx={{ gap: 2 }}>
          <Typography variant="h6" component="p" sx={{ flexGrow: 1 }}>
            Custos{info ? ` ${info.version}` : ''}
            {info && <Typography component="span" variant="body2" sx={{ ml: 2 }}>operator: {info.operator}</Typography>}
          </Typography>
          <Button color="inherit" variant="outlined" onClick={onToggleMode} aria-pressed={mode === 'dark'}>
            {mode === 'dark' ? 'Light theme' : 'Dark theme'}
          </Button>
        </Toolbar>
      </AppBar>
      <RehearsalBanner />
      <Box sx={{ display: 'flex', flexGrow: 1 }}>
        <Box component="nav" aria-label="Sections" sx={{ width: 240, flexShrink: 0, borderRight: 1, borderColor: 'divider', bgcolor: 'background.paper' }}>
          <List component="div">
            {ROUTES.map((r) => (
              <ListItemButton key={r.id} component="a" href={`#/${r.id}`} selected={route === r.id} aria-current={route === r.id ? 'page' : undefined}>
                <ListItemText primary={r.title} />
              </ListItemButton>
            ))}
          </List>
        </Box>
        <Box component="main" sx={{ flexGrow: 1, p: 3, minWidth: 0 }}>
          <ErrorAlert error={tokensError} />
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
