/**
 * The room's side of a ceremony run in a terminal: lines typed in answer to
 * questions (names, token labels, file paths), and secrets typed without
 * echo. One reader over stdin for the whole run, so answers piped in by a
 * test, or typed ahead, are read in order and none is lost between two
 * questions.
 */
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';

export class RoomPrompt {
  readonly #rl: Interface;
  readonly #lines: AsyncIterator<string>;
  #muted = false;

  constructor(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr) {
    // What the terminal echoes goes through here, and is dropped while a secret is typed.
    const echo = new Writable({ write: (chunk: Buffer, _enc, done) => { if (!this.#muted) output.write(chunk); done(); } });
    this.#rl = createInterface({ input, output: echo, terminal: (input as { isTTY?: boolean }).isTTY === true });
    this.#lines = this.#rl[Symbol.asyncIterator]();
  }

  async line(prompt: string): Promise<string> {
    process.stderr.write(prompt);
    const next = await this.#lines.next();
    if (next.done) throw new CustosError('CANCELLED', 'The input ended before the question was answered: the ceremony stops here and resumes where it stopped.', {});
    return next.value;
  }

  async secret(prompt: string): Promise<Secret> {
    this.#muted = true;
    try {
      return Secret.fromString(await this.line(prompt));
    } finally {
      this.#muted = false;
      process.stderr.write('\n');
    }
  }

  close(): void {
    this.#rl.close();
  }
}
