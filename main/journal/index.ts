export { Journal, verifyJournalFile, JOURNAL_FILE, PENDING_RESULTS_SUFFIX } from './journal.ts';
export type { VerifyResult, JournalOptions, AppendOptions, TornTail } from './journal.ts';
export { GENESIS_HASH } from './entry.ts';
export type { JournalEntry, EntryData, JsonValue } from './entry.ts';
