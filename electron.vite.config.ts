/**
 * Builds the three parts of the desktop app: the main process (electron/main.ts,
 * which imports the core from main/), the sandboxed preload, and the renderer.
 * Output goes to out/electron/{main,preload} and out/renderer, which is what
 * package.json's "main" and electron-builder.yml expect.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './electron/csp.ts';

const root = import.meta.dirname;

/** Writes the one CSP (electron/csp.ts) into the built page as its first <head> element. */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'custos-csp-meta',
    // Build only: the dev server's hot reload injects an inline script the policy would block.
    apply: 'build',
    transformIndexHtml: {
      order: 'pre',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/electron/main'),
      // Dependencies stay in node_modules (externalizeDeps): the N-API modules
      // pkcs11js and smartcard must be loaded from disk, never bundled. So does
      // playwright-core (a devDependency, 6 MB), which only the CLI and dev host
      // print transcripts with; the app prints with printToPDF.
      externalizeDeps: { include: ['pkcs11js', 'smartcard', 'playwright-core'] },
      rolldownOptions: {
        input: { index: resolve(root, 'electron/main.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/electron/preload'),
      // A sandboxed preload cannot load ES modules or arbitrary node_modules:
      // it must be one CommonJS file whose only require is 'electron'.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'electron/preload.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [react(), contentSecurityPolicyMeta()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      // No inline scripts or data: URLs in the output: the CSP forbids them.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      rolldownOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
