// The packaged shape of the app, where an Electron runtime exists: launch the
// built main process with playwright-core's _electron, check the window is
// isolated and the bridge answers. Here (ELECTRON_SKIP_BINARY_DOWNLOAD) there
// is no runtime, and the test says so instead of passing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import { ensureRendererBuilt } from './support/build.ts';

const root = join(import.meta.dirname, '../..');

function electronBinary(): { path: string } | { missing: string } {
  try {
    // The electron package's main export is the runtime's path, and it throws when none was installed.
    const path = createRequire(import.meta.url)('electron') as unknown as string;
    accessSync(path, constants.X_OK);
    return { path };
  } catch (e) {
    return { missing: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
}

const binary = electronBinary();
const skip = 'missing' in binary ? `no Electron binary in this workplace: ${binary.missing}` : false;

describe('the Electron app', () => {
  it('opens one sandboxed window whose page reaches the core only through window.custos', { skip }, async () => {
    if (!('path' in binary)) return;
    ensureRendererBuilt();
    const userData = mkdtempSync(join(tmpdir(), 'custos-electron-'));
    const app = await _electron.launch({ executablePath: binary.path, args: [root, `--user-data-dir=${userData}`], cwd: root });
    try {
      const page = await app.firstWindow();
      await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
      assert.match(page.url(), /^app:\/\/custos\//);
      const exposed = await page.evaluate(() => ({
        keys: Object.keys(window.custos ?? {}).sort(),
        node: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
      }));
      assert.deepEqual(exposed, { keys: ['call', 'on'], node: 'undefined', process: 'undefined' });
      const info = await page.evaluate(() => window.custos!.call('app.info'));
      assert.equal(info.ok, true);
      const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
      assert.equal(windows, 1);
      const opened = await page.evaluate(() => window.open('https://example.org/') === null);
      assert.equal(opened, true, 'window.open is denied');
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
