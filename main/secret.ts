/**
 * A PIN, password or key share held in memory. It prints as [redacted] in
 * logs, JSON, errors and util.inspect, so it cannot leak by accident; the value
 * is read only through reveal() at the one place that hands it to a token.
 */
const REDACTED = '[redacted]';

export class Secret {
  readonly #value: Uint8Array;

  private constructor(value: Uint8Array) {
    this.#value = value;
  }

  static fromString(value: string): Secret {
    return new Secret(new TextEncoder().encode(value));
  }

  static fromBytes(value: Uint8Array): Secret {
    return new Secret(Uint8Array.from(value));
  }

  get length(): number {
    return this.#value.length;
  }

  revealBytes(): Uint8Array {
    return Uint8Array.from(this.#value);
  }

  reveal(): string {
    return new TextDecoder().decode(this.#value);
  }

  /** Overwrites the bytes; the Secret is empty afterwards. */
  wipe(): void {
    this.#value.fill(0);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}
