/**
 * How the CLI answers: readable text by default, one JSON document with
 * --json; failures as "error CODE: what to do" on stderr and a non-zero exit.
 */
import { toErrorValue } from '../errors/index.ts';

export interface Output {
  readonly json: boolean;
  result(value: unknown, text: () => string): void;
  note(text: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, text) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
    },
    note(text) {
      if (!json) process.stderr.write(`${text}\n`);
    },
  };
}

/** Exit codes: 1 internal, 2 usage or input, 3 token or PIN, 4 refused by policy (lint, validity, profile), 5 journal. */
export function exitCodeFor(code: string): number {
  if (code === 'INTERNAL') return 1;
  if (/^(PIN_|TOKEN_|KEY_|MODULE_|SESSION_|NOT_LOGGED_IN|AUTH_|DEVICE_|SIGN_FAILED|MECHANISM_)/.test(code)) return 3;
  if (/^(LINT_|VALIDITY_|PROFILE_|EXTENSION_|CSR_KEY_|SIGNATURE_VERIFY)/.test(code)) return 4;
  if (code.startsWith('JOURNAL_')) return 5;
  return 2;
}

export function reportFailure(e: unknown, json: boolean): number {
  const value = toErrorValue(e);
  if (json) process.stdout.write(`${JSON.stringify({ error: value }, null, 2)}\n`);
  else {
    process.stderr.write(`error ${value.code}: ${value.message}\n`);
    const findings = value.details.findings;
    if (Array.isArray(findings)) for (const f of findings) process.stderr.write(`  - ${String(f)}\n`);
  }
  return exitCodeFor(value.code);
}
