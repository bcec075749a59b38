/**
 * A FAKE of the core's Handlers, in memory, for the UI's own tests only (the
 * dev host, the catalog projection, screenshots of states hard to reach on a
 * real token such as a PIN on its final try). It signs nothing and parses no
 * CSR: what it returns has the contract's shapes, not real PKI content. The
 * end-to-end tests run against the real core on SoftHSM2 instead.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CustosError } from '../../main/errors/index.ts';
import { api, type EventName, type EventPayload, type Handlers, type Output } from '../../main/api/contract.ts';
import type { EventSink, EventSource } from '../../electron/dispatch.ts';

type Token = Output<'token.list'>[number];
type Key = Output<'token.keys'>[number];
type Ca = Output<'ca.list'>[number];
type Req = Output<'request.list'>[number];
type Cert = Output<'certificate.list'>[number];
type Crl = Output<'crl.list'>[number];
type Entry = Output<'journal.entries'>[number];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface FakeCore {
  handlers: Handlers;
  events: EventSource;
  /** Calls the handlers received, without their inputs' secret fields. */
  calls: string[];
  /** Alters a journal entry's summary, as a tamperer would, so verify reports it. */
  tamper(seq: number): void;
}

export interface FakeOptions {
  rehearsal?: boolean;
  /** Certificates issued up front by the fake's root, for list and search tests. */
  certificates?: number;
  /** Puts the pkcs11 token's PIN on its final try. */
  finalTry?: boolean;
  /** Milliseconds each long operation takes, to see progress and disabled buttons. */
  workMs?: number;
}

export function createFakeCore(options: FakeOptions = {}): FakeCore {
  const sinks = new Set<EventSink>();
  const emit = <E extends EventName>(name: E, payload: EventPayload<E>) => { for (const s of sinks) s(name, payload); };
  const calls: string[] = [];
  const wait = () => new Promise((r) => setTimeout(r, options.workMs ?? 0));
  const now = () => new Date(Date.UTC(2026, 10, 24, 10, 0, entries.length)).toISOString();

  const tokens: Token[] = [
    {
      id: 'virtual:VS0001:Rehearsal', backend: 'virtual', virtual: true, label: 'Rehearsal', serial: 'VS0001', model: 'SmartCard-HSM (virtual)',
      manufacturer: 'Custos', reader: 'Virtual reader 0', pinState: { initialized: true, countLow: false, finalTry: false, locked: false, triesLeft: 3 }, loggedIn: false, flags: [],
    },
    {
      id: 'pkcs11:5ca1ab1e:Custody 2', backend: 'pkcs11', virtual: false, label: 'Custody 2', serial: '5ca1ab1e', model: 'SoftHSM v2',
      manufacturer: 'SoftHSM project', reader: 'slot 1', pinState: { initialized: true, countLow: options.finalTry ?? false, finalTry: options.finalTry ?? false, locked: false, triesLeft: options.finalTry ? 1 : 3 }, loggedIn: false, flags: [],
    },
  ];
  const keys = new Map<string, Key[]>(tokens.map((t) => [t.id, []]));
  const cas: Ca[] = [];
  const requests: Req[] = [];
  const certs: Cert[] = [];
  const crls: Crl[] = [];
  const entries: Entry[] = [];
  const details = new Map<string, Record<string, unknown>>();
  /** The journal entry that last changed each certificate, for certificate.changes. */
  const changedAt = new Map<Cert, number>();

  function append(kind: string, summary: string, data: Record<string, unknown> = {}, token?: Token): void {
    const prevHash = entries.at(-1)?.hash ?? '0'.repeat(64);
    const seq = entries.length + 1;
    const time = now();
    const body = { seq, time, kind, operator: 'tester', summary, prevHash, data, ...(token ? { token: ref(token) } : {}) };
    entries.push({ ...body, hash: sha256(JSON.stringify(body)) });
    emit('journal.appended', { seq });
  }
  function ref(t: Token) { return { label: t.label, serial: t.serial, model: t.model, backend: t.backend, virtual: t.virtual }; }
  function token(id: string): Token {
    const t = tokens.find((x) => x.id === id);
    if (!t) throw new CustosError('TOKEN_NOT_FOUND', `No token ${id}: insert it and look for tokens again.`, { tokenId: id });
    return t;
  }
  function ca(id: string): Ca {
    const c = cas.find((x) => x.id === id);
    if (!c) throw new CustosError('CA_NOT_FOUND', 'No such CA.', { caId: id });
    return c;
  }
  function cert(caId: string, serialHex: string): Cert {
    const c = certs.find((x) => x.caId === caId && x.serialHex === serialHex);
    if (!c) throw new CustosError('CERT_NOT_FOUND', 'No such certificate.', { serialHex });
    return c;
  }
  function describe(c: Cert): Record<string, unknown> {
    return {
      version: 3, serialNumber: c.serialHex, signature: 'ecdsa-with-SHA256', issuer: c.issuer, subject: c.subject,
      validity: { notBefore: c.notBefore, notAfter: c.notAfter },
      extensions: c.isCa
        ? [{ name: 'basicConstraints', critical: true, value: { cA: true } }, { name: 'keyUsage', critical: true, value: ['keyCertSign', 'cRLSign'] }]
        : [{ name: 'basicConstraints', critical: true, value: { cA: false } }, { name: 'extKeyUsage', critical: false, value: ['serverAuth'] }, { name: 'subjectAltName', critical: false, value: details.get(c.sha256)?.['sans'] ?? [] }],
    };
  }
  function exportOf(fileName: string, content: string) {
    const b = Buffer.from(content);
    return { path: `/tmp/custos-fake-export/${fileName}`, fileName, contentBase64: b.toString('base64'), bytes: b.length };
  }
  const preview = (subject: string, issuer: string, findings: Output<'ca.previewRoot'>['findings'] = []) => {
    const tbs = { version: 3, subject, issuer, validity: { notBefore: now(), notAfter: '2036-11-24T10:00:00.000Z' }, extensions: [{ name: 'basicConstraints', critical: true, value: { cA: subject === issuer } }] };
    return { preview: tbs, findings, droppedRequestExtensions: [], tbsSha256: sha256(JSON.stringify(tbs)) };
  };
  function issue(caRow: Ca, subject: string, profileId: string, isCa: boolean, i: number): Cert {
    const serialHex = sha256(`${caRow.id}/${i}/${subject}`).slice(0, 32).replace(/^[89a-f]/, '1');
    const c: Cert = {
      caId: caRow.id, serialHex, subject, issuer: caRow.subject, notBefore: now(), notAfter: '2027-11-24T10:00:00.000Z',
      sha256: sha256(`cert/${serialHex}`), profileId, isCa, status: 'valid', issuedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), virtual: caRow.token?.virtual ?? false,
    };
    certs.push(c);
    // The entry that will record it: the next one (the seeded batch shares one).
    changedAt.set(c, entries.length + 1);
    caRow.issuedCount += 1;
    return c;
  }

  // The CVC screens are tested on the real core (test/e2e/cvc.test.ts): this fake holds no CV certificate or request.
  const noCvc = async (): Promise<never> => { throw new CustosError('CVC_AUTHORITY_NOT_FOUND', 'The fake core holds no CVC authority.', {}); };
  const noTranscript = async (): Promise<never> => { throw new CustosError('TRANSCRIPT_CEREMONY_NOT_FOUND', 'The fake core holds no ceremony.', {}); };
  const noCeremony = async (): Promise<never> => { throw new CustosError('CEREMONY_NOT_FOUND', 'The fake core runs no ceremony.', {}); };
  let cancelBatch = false;
  const handlers: Handlers = {
    'cvc.profiles': async () => [], 'cvc.certificates': async () => [], 'cvc.requests': async () => [],
    'cvc.certificate': noCvc, 'cvc.request': noCvc, 'cvc.importRequest': noCvc, 'cvc.importCertificates': noCvc,
    'cvc.previewInit': noCvc, 'cvc.init': noCvc, 'cvc.preview': noCvc, 'cvc.sign': noCvc, 'cvc.export': noCvc,
    // Ceremonies are tested on the real core (test/e2e/ceremony.test.ts): this fake holds none and runs none.
    'ceremony.scripts': async () => [], 'ceremony.status': async () => ({ ceremonies: [] }),
    'ceremony.preflight': noCeremony, 'ceremony.start': noCeremony, 'ceremony.resume': noCeremony, 'ceremony.runStep': noCeremony,
    'ceremony.confirmStep': noCeremony, 'ceremony.complete': noCeremony, 'ceremony.abandon': noCeremony, 'ceremony.shareStep': noCeremony,
    'app.info': async () => ({ version: '0.1.0', dataDir: '/tmp/custos-fake', operator: 'tester', rehearsal: options.rehearsal ?? false }),
    'app.startRehearsal': async () => { calls.push('app.startRehearsal'); return { version: '0.1.0', dataDir: '/tmp/custos-fake/rehearsal', operator: 'tester', rehearsal: true }; },
    'token.list': async () => structuredClone(tokens),
    'token.login': async ({ tokenId, pin, confirmFinalTry }) => {
      const t = token(tokenId);
      if (t.pinState.locked) throw new CustosError('PIN_BLOCKED', 'The user PIN is blocked: unblock it with the SO PIN.', { tokenId });
      if (t.pinState.finalTry && !confirmFinalTry) throw new CustosError('CONFIRMATION_REQUIRED', 'This is the final PIN try: confirm it explicitly.', { tokenId });
      if (pin !== '123456') {
        const left = (t.pinState.triesLeft ?? 3) - 1;
        t.pinState = { ...t.pinState, triesLeft: left, countLow: true, finalTry: left === 1, locked: left <= 0 };
        emit('tokens.changed', {});
        throw new CustosError('PIN_INCORRECT', `Wrong PIN: ${left} tries left.`, { tokenId, triesLeft: left });
      }
      t.loggedIn = true;
      t.pinState = { ...t.pinState, countLow: false, finalTry: false, triesLeft: 3 };
      append('token.login', `Logged in to ${t.label}`, {}, t);
      return structuredClone(t);
    },
    'token.logout': async ({ tokenId }) => { const t = token(tokenId); t.loggedIn = false; return structuredClone(t); },
    'token.accept': async ({ tokenId }) => {
      const t = token(tokenId);
      if (t.attestation !== 'none') throw new CustosError('INPUT_INVALID', `${t.label} is attested by a known root: there is nothing to accept.`, { tokenId });
      t.accepted = true;
      append('token.unattested-accepted', `Accepted the unattested device ${t.label}`, {}, t);
      return structuredClone(t);
    },
    'token.keys': async ({ tokenId }) => structuredClone(keys.get(token(tokenId).id) ?? []),
    'token.generateKey': async ({ tokenId, spec, label }) => {
      const t = token(tokenId);
      if (!t.loggedIn) throw new CustosError('NOT_LOGGED_IN', 'Log in to the token first.', { tokenId });
      const list = keys.get(t.id)!;
      if (list.some((k) => k.label === label)) throw new CustosError('KEY_LABEL_EXISTS', `A key labelled ${label} exists on this token: choose another label.`, { label });
      for (let i = 1; i <= 4; i++) { emit('progress', { operation: 'token.generateKey', label: 'Generating the key pair', done: i, total: 4 }); await wait(); }
      const key: Key = { tokenId, id: sha256(label).slice(0, 8), label, spec, spkiSha256: sha256(`${t.id}/${label}`) };
      list.push(key);
      append('token.generateKey', `Generated ${label}`, { label }, t);
      return key;
    },
    'profile.list': async () => [
      { id: 'root-ca', title: 'Root CA', description: 'Self-signed root', kind: 'root', defaultValidityDays: 7300, maxValidityDays: 9125 },
      { id: 'sub-ca', title: 'Subordinate CA', description: 'Issuing CA', kind: 'ca', defaultValidityDays: 3650, maxValidityDays: 5475 },
      { id: 'tls-server', title: 'TLS server', description: 'serverAuth, DNS names', kind: 'leaf', defaultValidityDays: 397, maxValidityDays: 397 },
    ],
    'ca.list': async () => structuredClone(cas),
    'ca.previewRoot': async ({ subject }) => preview(subject, subject, subject.includes('CN=') ? [] : [{ code: 'SUBJECT_NO_CN', severity: 'error', message: 'The subject has no commonName.' }]),
    'ca.createRoot': async ({ tokenId, keySpkiSha256, subject, validityDays, name }) => {
      const t = token(tokenId);
      const key = keys.get(t.id)?.find((k) => k.spkiSha256 === keySpkiSha256);
      if (!key) throw new CustosError('KEY_NOT_FOUND', 'No such key on this token.', { keySpkiSha256 });
      if (!subject.includes('CN=')) throw new CustosError('LINT_FAILED', 'The subject has no commonName.', {});
      for (let i = 1; i <= 3; i++) { emit('progress', { operation: 'ca.createRoot', label: 'Signing the root', done: i, total: 3 }); await wait(); }
      const c: Ca = {
        id: sha256(`ca/${subject}`), name, subject, kind: 'root', notBefore: now(), notAfter: new Date(Date.UTC(2026, 10, 24) + (validityDays ?? 7300) * 864e5).toISOString(),
        keySpkiSha256, keySpec: key.spec, token: ref(t), issuedCount: 0, revokedCount: 0,
      };
      cas.push(c);
      append('ca.createRoot', `Created root CA ${name}`, { caId: c.id }, t);
      return structuredClone(c);
    },
    'ca.chain': async ({ caId }) => {
      const c = ca(caId);
      const self: Cert = { caId, serialHex: '01', subject: c.subject, issuer: c.subject, notBefore: c.notBefore, notAfter: c.notAfter, sha256: c.id, profileId: 'root-ca', isCa: true, status: 'valid', issuedAt: c.notBefore, virtual: c.token?.virtual ?? false };
      return { certificates: [{ summary: self, description: describe(self), pem: '-----BEGIN CERTIFICATE-----\nFAKE\n-----END CERTIFICATE-----\n' }] };
    },
    'request.import': async ({ fileName, contentBase64 }) => {
      const text = Buffer.from(contentBase64, 'base64').toString('latin1');
      if (!text.includes('CERTIFICATE REQUEST')) throw new CustosError('CSR_MALFORMED', `${fileName} is not a certificate signing request.`, { fileName });
      const cn = /CN=([\w.-]+)/.exec(text)?.[1] ?? 'fake.example';
      const r: Req = { id: sha256(text), fileName, subject: `CN=${cn}`, keySpec: { kind: 'ec', curve: 'P-256' }, sans: [`DNS:${cn}`], requestedExtensions: ['subjectAltName'], importedAt: now(), status: 'pending' };
      if (!requests.some((x) => x.id === r.id)) requests.push(r);
      append('request.import', `Imported ${fileName}`, { requestId: r.id });
      return [structuredClone(r)];
    },
    'request.pickFiles': async () => [{ path: '/home/custodian/picked.csr', name: 'picked.csr', bytes: 512 }],
    'request.importFromPath': async ({ path }) => handlers['request.import']({ fileName: path.split('/').pop() ?? path, contentBase64: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nCN=medium.example\n-----END CERTIFICATE REQUEST-----\n').toString('base64') }),
    'request.list': async () => structuredClone(requests),
    'request.get': async ({ requestId }) => {
      const r = requests.find((x) => x.id === requestId);
      if (!r) throw new CustosError('FILE_NOT_FOUND', 'No such request.', { requestId });
      return { summary: structuredClone(r), description: { subject: r.subject, publicKey: { algorithm: 'EC', namedCurve: 'P-256' }, attributes: { extensionRequest: [{ name: 'subjectAltName', value: r.sans }] }, signatureValid: true } };
    },
    'request.preview': async ({ requestId, caId }) => {
      const r = requests.find((x) => x.id === requestId);
      if (!r) throw new CustosError('FILE_NOT_FOUND', 'No such request.', { requestId });
      return preview(r.subject, ca(caId).subject, [{ code: 'VALIDITY_SHORT', severity: 'warning', message: 'The validity is shorter than 90 days.' }]);
    },
    'request.sign': async ({ requestId, caId, profileId }) => {
      const r = requests.find((x) => x.id === requestId);
      if (!r) throw new CustosError('FILE_NOT_FOUND', 'No such request.', { requestId });
      if (r.status === 'signed') throw new CustosError('OPERATION_IN_PROGRESS', 'This request is already signed.', {});
      for (let i = 1; i <= 3; i++) { emit('progress', { operation: 'request.sign', label: 'Signing', done: i, total: 3 }); await wait(); }
      const c = issue(ca(caId), r.subject, profileId, false, certs.length);
      details.set(c.sha256, { sans: r.sans });
      r.status = 'signed';
      r.signedSerial = c.serialHex;
      append('request.sign', `Signed ${r.subject}`, { serialHex: c.serialHex });
      return structuredClone(c);
    },
    'request.signBatch': async ({ caId, profileId, items }) => {
      cancelBatch = false;
      const issued: Output<'request.signBatch'>['issued'] = [];
      for (const [i, item] of items.entries()) {
        if (cancelBatch) return { issued, cancelled: true, notSigned: items.slice(i).map((x) => x.requestId) };
        issued.push(await handlers['request.sign']({ caId, profileId, requestId: item.requestId, tbsSha256: item.tbsSha256 }));
        emit('progress', { operation: 'request.signBatch', label: `Signed ${i + 1} of ${items.length} certificates`, done: i + 1, total: items.length });
      }
      return { issued, cancelled: false, notSigned: [] };
    },
    'work.cancel': async () => { cancelBatch = true; return { cancelling: true }; },
    'certificate.list': async ({ caId }) => structuredClone(certs.filter((c) => !caId || c.caId === caId)),
    'certificate.changes': async ({ afterSeq }) => ({ certificates: structuredClone(certs.filter((c) => (changedAt.get(c) ?? 0) > afterSeq)), throughSeq: entries.length }),
    'certificate.get': async ({ caId, serialHex }) => { const c = cert(caId, serialHex); return { summary: structuredClone(c), description: describe(c), pem: '-----BEGIN CERTIFICATE-----\nFAKE\n-----END CERTIFICATE-----\n' }; },
    'certificate.export': async ({ caId, serialHex, format }) => { cert(caId, serialHex); return exportOf(`${serialHex}.${format === 'p7b' ? 'p7b' : format === 'der' ? 'cer' : 'pem'}`, `fake ${format}`); },
    'certificate.revoke': async ({ caId, serialHex, reason }) => {
      const c = cert(caId, serialHex);
      if (c.status === 'revoked') throw new CustosError('ALREADY_REVOKED', 'This certificate is already revoked.', { serialHex });
      c.status = 'revoked'; c.reason = reason; c.revokedAt = now();
      ca(caId).revokedCount += 1;
      append('certificate.revoke', `Revoked ${serialHex}`, { serialHex, reason });
      changedAt.set(c, entries.length);
      return structuredClone(c);
    },
    'crl.issue': async ({ caId, nextUpdateDays }) => {
      const c = ca(caId);
      for (let i = 1; i <= 2; i++) { emit('progress', { operation: 'crl.issue', label: 'Signing the CRL', done: i, total: 2 }); await wait(); }
      const crlNumber = String(crls.filter((x) => x.caId === caId).length + 1);
      const crl: Crl = { caId, crlNumber, thisUpdate: now(), nextUpdate: new Date(Date.UTC(2026, 10, 24) + (nextUpdateDays ?? 30) * 864e5).toISOString(), entries: certs.filter((x) => x.caId === caId && x.status === 'revoked').length, sha256: sha256(`crl/${caId}/${crlNumber}`) };
      crls.push(crl);
      c.lastCrlNumber = crlNumber;
      append('crl.issue', `Issued CRL ${crlNumber}`, { crlNumber });
      return structuredClone(crl);
    },
    'crl.list': async ({ caId }) => structuredClone(crls.filter((c) => !caId || c.caId === caId)),
    'crl.export': async ({ caId, crlNumber, format }) => exportOf(`${caId.slice(0, 8)}-${crlNumber}.crl${format === 'pem' ? '.pem' : ''}`, `fake crl ${format}`),
    'journal.entries': async ({ afterSeq, limit }) => structuredClone(entries.filter((e) => e.seq > (afterSeq ?? 0)).slice(0, limit ?? 1000)),
    'journal.head': async () => ({ seq: entries.at(-1)?.seq ?? 0 }),
    'journal.verify': async () => {
      let prev = '0'.repeat(64);
      for (const e of entries) {
        const { hash, ...body } = e;
        const ordered = { seq: body.seq, time: body.time, kind: body.kind, operator: body.operator, summary: body.summary, prevHash: body.prevHash, data: body.data, ...(body.token ? { token: body.token } : {}) };
        if (e.prevHash !== prev || sha256(JSON.stringify(ordered)) !== hash) return { ok: false, entries: entries.length, firstBadSeq: e.seq, reason: 'hash mismatch', pendingIntents: [] };
        prev = hash;
      }
      return { ok: true, entries: entries.length, pendingIntents: [] };
    },
    'media.list': async () => [{ path: '/media/custodian/TRANSFER', label: 'TRANSFER' }],
    'media.files': async ({ path }) => [{ path: `${path}/web.csr`, name: 'web.csr', bytes: 512 }],
    // The quorum screen is tested on the real core (test/e2e/quorum.test.ts): the fake has no custodian quorum.
    'quorum.status': async ({ tokenId }) => ({ tokenId, label: 'fake', serial: 'FAKE', summary: 'no custodian quorum (PIN only)', registered: [] }),
    'quorum.authenticate': async () => { throw Object.assign(new Error('The fake core has no custodian quorum.'), { code: 'PKA_NOT_CONFIGURED' }); },
    'quorum.enrol': async () => { throw Object.assign(new Error('The fake core has no custodian quorum.'), { code: 'PKA_NOT_CONFIGURED' }); },
    'quorum.previewRegistration': async () => { throw Object.assign(new Error('The fake core has no custodian quorum.'), { code: 'PKA_NOT_CONFIGURED' }); },
    'quorum.register': async () => { throw Object.assign(new Error('The fake core has no custodian quorum.'), { code: 'PKA_NOT_CONFIGURED' }); },
    // Issue #17's channels, as the screens need them; the real core's behaviour is tested in test/integration/ca.
    'crl.preview': async ({ caId, nextUpdateDays }) => ({
      caId, crlNumber: String(crls.filter((x) => x.caId === caId).length + 1), thisUpdate: now(),
      nextUpdate: new Date(Date.UTC(2026, 10, 24) + (nextUpdateDays ?? 30) * 864e5).toISOString(), clipped: false,
      entries: certs.filter((x) => x.caId === caId && x.status === 'revoked').map((x) => ({ serialHex: x.serialHex, subject: x.subject, revocationDate: x.revokedAt ?? now(), reason: x.reason ?? 'unspecified', reasonText: x.reason ?? 'unspecified' })),
      tbsSha256: sha256(`crl-preview/${caId}`), keyOnOpenToken: true, findings: [],
    }),
    'export.destinations': async () => [{ kind: 'exports', path: '/tmp/custos-fake/exports', label: 'Custos exports folder (on this workstation)' }, { kind: 'medium', path: '/media/custodian/TRANSFER', label: 'TRANSFER (removable)' }],
    'export.pickFolder': async () => undefined,
    'journal.export': async ({ format }) => exportOf(`custos-journal.${format}`, 'fake journal'),
    'key.csr': async () => { throw new CustosError('MECHANISM_UNSUPPORTED', 'The fake core makes no requests.', {}); },
    'token.pinStatus': async ({ tokenId }) => ({ token: structuredClone(token(tokenId)) }),
    'token.changePin': async ({ tokenId }) => structuredClone(token(tokenId)),
    'token.unblockPin': async ({ tokenId }) => structuredClone(token(tokenId)),
    // The fake's tokens have no key domain: the key-domain screen is tested on the real core (test/e2e/key-domain.test.ts).
    'keydomain.status': async ({ tokenId }) => ({ tokenId, configured: false, totalShares: 0, importedShares: 0, outstandingShares: 0, complete: false, shares: [] }),
    'keydomain.files': async () => [],
    'keydomain.createShare': async () => { throw new CustosError('KEY_DOMAIN_UNSUPPORTED', 'The fake core makes no DKEK shares.', {}); },
    'keydomain.importShare': async () => { throw new CustosError('KEY_DOMAIN_UNSUPPORTED', 'The fake core has no key domain.', {}); },
    'keydomain.backupKey': async () => { throw new CustosError('KEY_DOMAIN_UNSUPPORTED', 'The fake core has no key domain.', {}); },
    'keydomain.inspectBackup': async () => { throw new CustosError('KEY_DOMAIN_UNSUPPORTED', 'The fake core has no key domain.', {}); },
    'keydomain.restoreKey': async () => { throw new CustosError('KEY_DOMAIN_UNSUPPORTED', 'The fake core has no key domain.', {}); },
    'bundle.create': async ({ directory, name }) => ({
      path: `${directory}/${name ?? 'bundle'}`, files: [{ name: 'root-chain.pem', bytes: 1024, sha256: 'a'.repeat(64) }], rehearsal: true,
      signerSerial: '01', manifestSha256: 'b'.repeat(64), journalHead: `1:${'c'.repeat(64)}`,
    }),
    'bundle.verify': async ({ directory }) => ({ ok: true, directory, rehearsal: true, rootGiven: false, files: [], extra: [], problems: [] }),
    // Transcripts are tested on the real core (test/e2e/transcript.test.ts): this fake holds no ceremony.
    'transcript.ceremonies': async () => [],
    'transcript.get': noTranscript, 'transcript.save': noTranscript, 'transcript.verify': noTranscript,
  };

  // Wrap every handler to record the channel (never the input) and to check the
  // fake answers with the contract's output schema, so it cannot drift from it.
  const checked = Object.fromEntries(Object.entries(handlers).map(([channel, h]) => [channel, async (input: unknown) => {
    calls.push(channel);
    const out = await (h as (i: unknown) => Promise<unknown>)(input);
    return (api[channel as keyof typeof api].output as z.ZodType).parse(out);
  }])) as unknown as Handlers;

  if (options.certificates) {
    const root: Ca = {
      id: sha256('ca/seed'), name: 'Seed Root', subject: 'CN=Seed Root CA, O=Example', kind: 'root', notBefore: now(), notAfter: '2046-11-24T10:00:00.000Z',
      keySpkiSha256: sha256('seed key'), keySpec: { kind: 'ec', curve: 'P-384' }, token: ref(tokens[0]!), issuedCount: 0, revokedCount: 0,
    };
    cas.push(root);
    for (let i = 0; i < options.certificates; i++) issue(root, `CN=host-${i}.example.org, O=Example`, 'tls-server', false, i);
    append('ca.createRoot', 'Seeded root and certificates', { count: options.certificates });
  }

  return {
    handlers: checked,
    events: { subscribe: (sink) => { sinks.add(sink); return () => { sinks.delete(sink); }; } },
    calls,
    tamper: (seq) => { const e = entries.find((x) => x.seq === seq); if (e) e.summary += ' (altered)'; },
  };
}
