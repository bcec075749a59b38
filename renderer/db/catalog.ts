/**
 * The catalog: the renderer's projection of the journal (CAs, requests,
 * certificates, CRLs and the journal's entries) in IndexedDB, for fast lists
 * and search. It holds nothing that the core cannot give again: clearing it
 * and syncing from the journal rebuilds the same catalog.
 */
import { Dexie, type Table } from 'dexie';
import type { z } from 'zod';
import type { CaSummary, CertificateSummary, CrlSummary, JournalEntryView, RequestSummary } from '../../main/api/contract.ts';

export type CaRow = z.output<typeof CaSummary>;
export type RequestRow = z.output<typeof RequestSummary>;
export type CrlRow = z.output<typeof CrlSummary>;
export type EventRow = z.output<typeof JournalEntryView>;
export type CertificateRow = z.output<typeof CertificateSummary> & {
  /** Lower-case words of the subject, for the multi-entry index behind search. */
  subjectWords: string[];
};
export interface MetaRow { key: string; value: number | string }

export class Catalog extends Dexie {
  cas!: Table<CaRow, string>;
  requests!: Table<RequestRow, string>;
  certificates!: Table<CertificateRow, [string, string]>;
  crls!: Table<CrlRow, [string, string]>;
  events!: Table<EventRow, number>;
  meta!: Table<MetaRow, string>;

  constructor(name = 'custos-catalog', options?: ConstructorParameters<typeof Dexie>[1]) {
    super(name, { cache: 'disabled', ...options });
    this.version(1).stores({
      cas: '&id, name',
      requests: '&id, status, importedAt',
      // Few indexes on purpose: each one costs every write (100,000 rows take tens
      // of seconds in Chromium's IndexedDB per index family). Per-CA lists use the
      // primary key's caId prefix instead of an index of their own.
      certificates: '&[caId+serialHex], serialHex, sha256, *subjectWords, issuedAt',
      crls: '&[caId+crlNumber], caId, thisUpdate',
      events: '&seq, kind, time',
      meta: '&key',
    });
    // The journal's rows are read by seq alone (the Journal screen's latest entries): the kind and time
    // indexes cost every one of a long journal's writes and served no query.
    this.version(2).stores({ events: '&seq' });
  }
}

/** Attribute names say nothing about one certificate and would put every row under the same index keys. */
const ATTRIBUTE_NAMES = new Set(['cn', 'o', 'ou', 'c', 'l', 'st', 's', 'dc', 'e', 'uid', 'serialnumber', 'emailaddress', 'street', 'title', 'sn', 'gn']);

/** Splits a DN into the words a person types: "CN=web-1.example.org, O=ACME" → web, 1, example, org, acme. */
export function subjectWords(subject: string): string[] {
  return [...new Set(subject.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0 && !ATTRIBUTE_NAMES.has(w)))];
}

export function toCertificateRow(summary: z.output<typeof CertificateSummary>): CertificateRow {
  return { ...summary, subjectWords: subjectWords(summary.subject) };
}
