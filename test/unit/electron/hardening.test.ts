// ↔ electron/window-options.ts, electron/csp.ts and the built out/renderer/index.html
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { windowOptions } from '../../../electron/window-options.ts';
import { CONTENT_SECURITY_POLICY_HEADER } from '../../../electron/csp.ts';

const root = join(import.meta.dirname, '../../..');

function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...sources] = d.split(/\s+/);
    return [name!, sources];
  }));
}

function assertStrict(policy: string): void {
  const d = directives(policy);
  assert.deepEqual(d.get('default-src'), ["'self'"]);
  assert.deepEqual(d.get('script-src'), ["'self'"], 'scripts only from the app itself: no inline, no eval, no remote');
  assert.deepEqual(d.get('object-src'), ["'none'"]);
  assert.deepEqual(d.get('base-uri'), ["'none'"]);
  for (const [name, sources] of d) {
    for (const s of sources) {
      assert.ok(!/^(https?:|wss?:|\*|data:)/.test(s) || (name === 'img-src' && s === 'data:'), `${name} admits a remote or data origin: ${s}`);
      assert.notEqual(s, "'unsafe-eval'", `${name} admits eval`);
      assert.notEqual(s, "'wasm-unsafe-eval'", `${name} admits wasm eval`);
      if (name !== 'style-src') assert.notEqual(s, "'unsafe-inline'", `${name} admits inline code`);
    }
  }
}

describe('window options', () => {
  const prefs = windowOptions({ preloadPath: '/app/preload.cjs', isPackaged: true }).webPreferences!;

  it('isolates the page: contextIsolation, sandbox, no Node, web security on', () => {
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.allowRunningInsecureContent, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.experimentalFeatures, false);
  });

  it('turns DevTools off in a packaged app only', () => {
    assert.equal(prefs.devTools, false);
    assert.equal(windowOptions({ preloadPath: '/p', isPackaged: false }).webPreferences!.devTools, true);
  });

  it('loads the given preload', () => {
    assert.equal(prefs.preload, '/app/preload.cjs');
  });
});

describe('content security policy', () => {
  let builtHtml = '';
  before(() => {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'pipe', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
    builtHtml = readFileSync(join(root, 'out/renderer/index.html'), 'utf8');
  });

  it('sends a strict policy as the response header', () => {
    assertStrict(CONTENT_SECURITY_POLICY_HEADER);
    assert.deepEqual(directives(CONTENT_SECURITY_POLICY_HEADER).get('frame-ancestors'), ["'none'"]);
  });

  it('puts the same strict policy into the built index.html, first in <head>', () => {
    const m = /<head>\s*<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(builtHtml);
    assert.ok(m, 'the built page starts its <head> with a CSP <meta>');
    const policy = m[1]!.replaceAll('&#39;', "'").replaceAll('&quot;', '"');
    assertStrict(policy);
    assert.equal(`${policy}; frame-ancestors 'none'`, CONTENT_SECURITY_POLICY_HEADER);
  });

  it('builds a page with no inline script and only same-origin script files', () => {
    const scripts = [...builtHtml.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0);
    for (const [, attrs, body] of scripts) {
      assert.equal(body!.trim(), '', 'no inline script');
      const src = /src="([^"]+)"/.exec(attrs!)?.[1];
      assert.ok(src && src.startsWith('./'), `script from the app itself: ${src}`);
    }
  });

  it('builds the preload as CommonJS that requires nothing but electron', () => {
    const preload = readFileSync(join(root, 'out/electron/preload/index.cjs'), 'utf8');
    const requires = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(requires)], ['electron']);
    assert.doesNotMatch(preload, /^\s*(import|export)\s/m);
  });
});
