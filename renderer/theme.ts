/**
 * The one theme of the window, light and dark. Colours, type and component
 * overrides live here only; screens use palette names, never colour values.
 */
import { createTheme, type Theme } from '@mui/material/styles';

export type ThemeMode = 'light' | 'dark';

export function createAppTheme(mode: ThemeMode): Theme {
  const dark = mode === 'dark';
  return createTheme({
    palette: {
      mode,
      primary: { main: dark ? '#8ab4f8' : '#1a4f8b' },
      secondary: { main: dark ? '#c6a0f6' : '#6a3d9a' },
      // Darker than MUI's defaults so white/black text on them passes WCAG AA.
      success: { main: dark ? '#81c995' : '#1e6b34' },
      error: { main: dark ? '#f28b82' : '#b3261e' },
      warning: { main: dark ? '#fdd663' : '#8a5300' },
      info: { main: dark ? '#8fd0ff' : '#0a5a8c' },
      background: dark ? { default: '#121418', paper: '#1b1f24' } : { default: '#f5f6f8', paper: '#ffffff' },
    },
    typography: {
      fontFamily: '"DejaVu Sans", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      h1: { fontSize: '1.6rem', fontWeight: 600 },
      h2: { fontSize: '1.2rem', fontWeight: 600 },
      h3: { fontSize: '1.05rem', fontWeight: 600 },
    },
    shape: { borderRadius: 6 },
    components: {
      MuiButtonBase: { defaultProps: { disableRipple: false } },
      MuiButton: {
        styleOverrides: {
          root: ({ theme }) => ({
            '&.Mui-focusVisible': { outline: `3px solid ${theme.palette.primary.main}`, outlineOffset: 2 },
          }),
        },
      },
      MuiListItemButton: {
        styleOverrides: {
          root: ({ theme }) => ({
            '&.Mui-focusVisible': { outline: `3px solid ${theme.palette.primary.main}`, outlineOffset: -3 },
            '&.Mui-selected': { borderLeft: `4px solid ${theme.palette.primary.main}` },
          }),
        },
      },
      MuiLink: { defaultProps: { underline: 'always' } },
    },
  });
}

/** The REHEARSAL banner's look, kept with the theme. */
export const rehearsalBannerSx = {
  bgcolor: 'warning.main',
  color: 'warning.contrastText',
  fontWeight: 700,
  letterSpacing: '0.08em',
  textAlign: 'center' as const,
  py: 0.5,
};

export const monoSx = { fontFamily: '"DejaVu Sans Mono", ui-monospace, monospace', wordBreak: 'break-all' as const };
