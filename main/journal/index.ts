export { Journal, verifyJournalFile, JOURNAL_FILE } from './journal.ts';
export type { VerifyResult, JournalOptions, AppendOptions } from './journal.ts';
export { GENESIS_HASH } from './entry.ts';
export type { JournalEntry, EntryData, JsonValue } from './entry.ts';
