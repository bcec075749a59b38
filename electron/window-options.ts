/**
 * The options of the one window, as a pure function so a test can read them
 * and fail if any of the isolation settings is weakened.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

export interface WindowOptionsInput {
  /** Absolute path of the built preload (out/electron/preload/index.cjs). */
  preloadPath: string;
  /** app.isPackaged: DevTools are off in a packaged app. */
  isPackaged: boolean;
}

export function windowOptions({ preloadPath, isPackaged }: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    minWidth: 960,
    minHeight: 640,
    title: 'Custos',
    show: false,
    backgroundColor: '#1b1f24',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: !isPackaged,
      safeDialogs: true,
    },
  };
}
