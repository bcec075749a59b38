/**
 * One of the processes a lock race runs (test/unit/fs/lock-file.test.ts):
 * told over IPC which lock to try, it tries once and answers whether it holds
 * it or the code it was refused with; it keeps a lock it holds until told to
 * let go, so every contender of a round tries while the winner still holds.
 */
import { acquireLock } from '../../main/fs/lock-file.ts';
import { CustosError, isCustosError } from '../../main/errors/index.ts';

let release: (() => void) | undefined;

process.on('message', (message: { op: 'try'; path: string; round: number } | { op: 'release' } | { op: 'exit' }) => {
  if (message.op === 'exit') process.exit(0);
  if (message.op === 'release') {
    release?.();
    release = undefined;
    process.send!({ released: true });
    return;
  }
  try {
    release = acquireLock(message.path, (holder) => new CustosError('JOURNAL_LOCKED', 'locked', { pid: holder?.pid ?? null }));
    process.send!({ round: message.round, held: true });
  } catch (e) {
    process.send!({ round: message.round, held: false, code: isCustosError(e) ? e.code : `raw ${String((e as NodeJS.ErrnoException).code ?? e)}` });
  }
});
process.send!({ ready: true });
