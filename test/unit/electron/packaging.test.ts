// ↔ electron-builder.yml: what a package holds, and what it must never hold.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';

const root = join(import.meta.dirname, '../../..');
const yml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');

describe('electron-builder.yml', () => {
  it('names the app and targets AppImage and deb, NSIS and dmg', () => {
    assert.match(yml, /^appId: org\.custos\.app$/m);
    assert.match(yml, /^productName: Custos$/m);
    assert.match(yml, /^ {2}target: \[AppImage, deb\]$/m);
    assert.match(yml, /^ {2}target: \[nsis\]$/m);
    assert.match(yml, /^ {2}target: \[dmg\]$/m);
  });

  it('excludes the dev host and the tests from every package', () => {
    assert.match(yml, /^ {2}- "!devhost\{,\/\*\*\/\*\}"$/m);
    assert.match(yml, /^ {2}- "!test\{,\/\*\*\/\*\}"$/m);
  });

  it('unpacks native .node modules from the asar archive', () => {
    assert.match(yml, /^asarUnpack:\n {2}- "\*\*\/\*\.node"$/m);
  });

  it('points at icons that exist', () => {
    for (const [, path] of yml.matchAll(/^ {2}icon: (\S+)$/gm)) assert.ok(existsSync(join(root, path!)), path);
    const png = readFileSync(join(root, 'resources/icons/icon.png'));
    assert.equal(png.readUInt32BE(16), 512);
    assert.equal(png.readUInt32BE(20), 512);
  });
});

describe('electron-builder.yml fuses', () => {
  it('flips the fuses that keep the packaged binary from running anything but its own app.asar', async () => {
    // electron-builder's own loader and schema: a misspelt key would be refused here, not ignored.
    const config = await getConfig(root, null, null);
    await validateConfiguration(config, new DebugLogger(false));
    assert.deepEqual(config.electronFuses, {
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
      enableCookieEncryption: true,
    });
  });

  it('packs the app into an asar archive, which onlyLoadAppFromAsar and the integrity check need', async () => {
    const config = await getConfig(root, null, null);
    assert.equal(config.asar, true);
  });
});
