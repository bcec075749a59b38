/**
 * The one Content-Security-Policy of the window. It is written into the built
 * index.html as a <meta> (by the renderer build) and sent as a response header
 * (by electron/main.ts), so either alone would hold.
 *
 * style-src needs 'unsafe-inline': MUI styles through emotion, which inserts
 * <style> elements at run time. A nonce would have to be minted per page load,
 * which a static file:// or app:// page cannot carry in its <meta>. Inline
 * styles cannot run code, and script-src stays 'self' only (no inline script,
 * no eval), so the risk left is CSS injection, which has nothing to steal here:
 * no secret is ever rendered into the DOM.
 */
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'blob:'],
  'font-src': ["'self'"],
  // 'self' also admits ws:// to the same host and port (CSP Level 3), which the
  // loopback dev host uses; no other origin can be reached.
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-src': ["'none'"],
  'worker-src': ["'self'"],
} as const;

export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
  .map(([name, sources]) => `${name} ${sources.join(' ')}`)
  .join('; ');

/** frame-ancestors is ignored in a <meta> and only takes effect as a header. */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;
