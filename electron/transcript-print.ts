/**
 * The app's print of a transcript: the window's own transcript page, loaded
 * in a hidden window of the same locked-down kind, printed with Electron's
 * printToPDF. The page asks the core for the transcript like any page; it
 * names itself ("Ceremony transcript …" as its title) once the document is
 * on it, which is when it is printed.
 */
import { BrowserWindow } from 'electron';
import type { TranscriptPrinter } from '../main/ceremony/transcript-make.ts';
import { transcriptRoute } from '../main/ceremony/transcript-pdf.ts';
import { windowOptions, type WindowOptionsInput } from './window-options.ts';

const PRINT_TIMEOUT_MS = 60_000;
export const TRANSCRIPT_TITLE_PREFIX = 'Ceremony transcript';

export function electronTranscriptPrinter(pageUrl: string, options: WindowOptionsInput): TranscriptPrinter {
  return async (transcript) => {
    const window = new BrowserWindow({ ...windowOptions(options), show: false });
    try {
      const ready = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the page showed no transcript within ${PRINT_TIMEOUT_MS / 1000} s`)), PRINT_TIMEOUT_MS);
        window.webContents.on('page-title-updated', (_event, title) => {
          if (title.startsWith(TRANSCRIPT_TITLE_PREFIX)) { clearTimeout(timer); resolve(); }
        });
      });
      await window.loadURL(`${pageUrl}${transcriptRoute(transcript.ceremony)}`);
      await ready;
      const pdf = await window.webContents.printToPDF({ pageSize: 'A4', printBackground: true, preferCSSPageSize: true });
      return { pdf: new Uint8Array(pdf) };
    } catch (e) {
      return { unavailable: `the app could not print the transcript page: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      window.destroy();
    }
  };
}
