/**
 * How the CLI answers: readable text by default, one JSON document with
 * --json; failures as "error CODE: what to do" on stderr and a non-zero exit.
 */
import { toErrorValue } from '../errors/index.ts';
import { visibleText } from '../api/visible-text.ts';

/**
 * A value from outside (a request, a certificate, a token's label, the
 * journal) as one line of text: control and bidi characters, a newline
 * included, written as \u{…}, so a name cannot add a line or act on the terminal.
 */
export const shown = visibleText;

// Whatever a line holds, no control or bidi character reaches the terminal; the CLI's own line breaks stay.
function terminalSafe(text: string): string {
  return text.split('\n').map(visibleText).join('\n');
}

// JSON.stringify escapes C0 controls but writes DEL, C1 controls, U+2028/9 and the bidi controls as they are.
// Inside JSON strings (the only place they can be) \uXXXX is the same value, so --json stays JSON and the terminal stays still.
// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
function jsonSafe(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface Output {
  readonly json: boolean;
  result(value: unknown, text: () => string): void;
  note(text: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, text) {
      process.stdout.write(json ? `${jsonSafe(value)}\n` : `${terminalSafe(text())}\n`);
    },
    note(text) {
      if (!json) process.stderr.write(`${terminalSafe(text)}\n`);
    },
  };
}

/** Exit codes: 1 internal, 2 usage or input, 3 token or PIN, 4 refused by policy (lint, validity, profile), 5 journal. */
export function exitCodeFor(code: string): number {
  if (code === 'INTERNAL') return 1;
  if (/^(PIN_|TOKEN_|KEY_|MODULE_|SESSION_|NOT_LOGGED_IN|AUTH_|DEVICE_|SIGN_FAILED|MECHANISM_)/.test(code)) return 3;
  if (/^(LINT_|VALIDITY_|PROFILE_|EXTENSION_|CSR_KEY_|SIGNATURE_VERIFY|CVC_CHAT_EXCEEDS_ISSUER)/.test(code)) return 4;
  if (code.startsWith('JOURNAL_')) return 5;
  return 2;
}

export function reportFailure(e: unknown, json: boolean): number {
  const value = toErrorValue(e);
  if (json) process.stdout.write(`${jsonSafe({ error: value })}\n`);
  else {
    process.stderr.write(`error ${value.code}: ${visibleText(value.message)}\n`);
    const findings = value.details.findings;
    if (Array.isArray(findings)) for (const f of findings) process.stderr.write(`  - ${visibleText(String(f))}\n`);
  }
  return exitCodeFor(value.code);
}
