/**
 * Every failure a person can meet is a CustosError: a stable code, a message
 * that says what to do next, and context that never holds a PIN, password or
 * key share. It crosses IPC and the CLI as a plain value ({ code, message, details }),
 * because class identity does not survive a process or context bridge.
 */
import type { ErrorCode } from './codes.ts';

export type ErrorDetails = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

export interface ErrorValue {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: ErrorDetails;
}

export class CustosError extends Error {
  override readonly name: string = 'CustosError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  toValue(): ErrorValue {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Works across realms, where instanceof fails: falls back to the shape. */
export function isCustosError(e: unknown): e is CustosError {
  if (e instanceof CustosError) return true;
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    && typeof (e as { message?: unknown }).message === 'string'
    && (e as { name?: unknown }).name !== undefined
    && String((e as { name?: unknown }).name).endsWith('Error')
    && 'details' in e;
}

/** Turns anything thrown into the value that crosses a boundary. Unknown errors keep no stack or text that could hold a secret beyond their message. */
export function toErrorValue(e: unknown): ErrorValue {
  if (isCustosError(e)) return { code: e.code, message: e.message, details: e.details ?? {} };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message: `Unexpected failure: ${message}`, details: {} };
}
