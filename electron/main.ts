/**
 * The Electron shell: one window, locked down, wired to the core through the
 * generic IPC binding. Everything the app does lives in main/; this file only
 * starts it and keeps the window from reaching anything but the app's own page.
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, type OpenDialogOptions, type WebContents } from 'electron';
import { join, normalize, relative, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY_HEADER } from './csp.ts';
import { bindApi, forwardEvents } from './ipc.ts';
import { openAppCore } from './core.ts';
import { windowOptions } from './window-options.ts';
import { electronTranscriptPrinter } from './transcript-print.ts';

const APP_SCHEME = 'app';
const APP_ORIGIN = `${APP_SCHEME}://custos`;
const rendererDir = join(import.meta.dirname, '../../renderer');
const preloadPath = join(import.meta.dirname, '../preload/index.cjs');
/** Set by `electron-vite dev` only; a packaged app always serves its own files. */
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;

// A standard, secure scheme gives the page a real origin ('self' in the CSP means
// app://custos), which file:// does not.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

function isAppUrl(url: string): boolean {
  if (url.startsWith(`${APP_ORIGIN}/`)) return true;
  return devServerUrl !== undefined && url.startsWith(new URL(devServerUrl).origin + '/');
}

/** Serves out/renderer under app://custos/, refusing any path that leaves it. */
function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'custos') return new Response('Not found', { status: 404 });
    const path = normalize(join(rendererDir, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)));
    const inside = relative(rendererDir, path);
    if (inside.startsWith('..') || isAbsolute(inside)) return new Response('Not found', { status: 404 });
    const file = await net.fetch(pathToFileURL(path).toString());
    const headers = new Headers(file.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY_HEADER);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(file.body, { status: file.status, headers });
  });
}

function lockSession(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY_HEADER] } });
  });
}

function lockContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  if (app.isPackaged) contents.on('devtools-opened', () => contents.closeDevTools());
}

let window: BrowserWindow | undefined;

/** The open dialog is the shell's, not the page's: only what the person picks here becomes readable by the window. */
async function pickFiles(): Promise<string[]> {
  const options: OpenDialogOptions = {
    title: 'Choose certificate requests',
    properties: ['openFile', 'multiSelections', 'dontAddToRecent'],
    filters: [{ name: 'Certificate requests', extensions: ['csr', 'pem', 'der', 'req', 'p10'] }],
  };
  const picked = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return picked.canceled ? [] : picked.filePaths;
}

/** The folder dialog is the shell's too: only a folder the person picks here may receive exports the window asks for. */
async function pickFolder(): Promise<string | undefined> {
  const options: OpenDialogOptions = { title: 'Choose where exports go', properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'] };
  const picked = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return picked.canceled ? undefined : picked.filePaths[0];
}

async function start(): Promise<void> {
  lockSession();
  serveRenderer();
  const printTranscript = electronTranscriptPrinter(devServerUrl ?? `${APP_ORIGIN}/index.html`, { preloadPath, isPackaged: app.isPackaged });
  const core = await openAppCore({ dataDir: app.getPath('userData'), pickFiles, pickFolder, printTranscript });
  // will-quit's close() is not awaited, and a crash skips it: the journal's lock must go either way.
  process.on('exit', () => core.releaseNow());
  const unbind = bindApi(ipcMain, core.handlers, isAppUrl);

  window = new BrowserWindow(windowOptions({ preloadPath, isPackaged: app.isPackaged }));
  const stopEvents = core.events ? forwardEvents(core.events, window.webContents) : () => {};
  window.once('ready-to-show', () => window?.show());
  window.on('closed', () => { window = undefined; });
  await window.loadURL(devServerUrl ?? `${APP_ORIGIN}/index.html`);

  app.on('will-quit', () => {
    stopEvents();
    unbind();
    void core.close();
  });
}

if (!app.requestSingleInstanceLock()) {
  // A second copy would open the same journal and tokens: hand over and leave.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('web-contents-created', (_event, contents) => lockContents(contents));
  app.on('window-all-closed', () => app.quit());
  app.whenReady().then(start).catch((e: unknown) => {
    console.error('Custos could not start:', e instanceof Error ? e.message : String(e));
    app.exit(1);
  });
}
