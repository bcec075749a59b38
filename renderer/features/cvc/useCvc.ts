/** The CVC authority's lists, read from the core and read again whenever the journal grows. */
import { useEffect } from 'react';
import { api } from '../../api.ts';
import { useCall } from '../../hooks/useCall.ts';

export function useCvcLists() {
  const certificates = useCall('cvc.certificates', undefined);
  const requests = useCall('cvc.requests', undefined);
  const { reload: reloadCertificates } = certificates;
  const { reload: reloadRequests } = requests;
  useEffect(() => api.on('journal.appended', () => { reloadCertificates(); reloadRequests(); }), [reloadCertificates, reloadRequests]);
  return { certificates, requests };
}

export const ATTESTATION_WORDS: Record<string, string> = {
  cardcontact: 'Attested: SmartCard-HSM device chain to CardContact\'s SRCA',
  rehearsal: 'Attested by the REHEARSAL root (virtual card — not for production)',
  'self-issued': 'Not attested: the device certificate is self-issued',
  'unknown-root': 'Not attested: the device chain ends at an unknown root',
  authority: 'Outer signature by a CV certificate of this authority',
  'chain-missing': 'Device chain missing: the outer signature is not checked',
  plain: 'Plain request: proves possession of the key only',
};

/** The same, short enough for a table column. */
export const ATTESTATION_SHORT: Record<string, string> = {
  cardcontact: 'CardContact SRCA', rehearsal: 'REHEARSAL root', 'self-issued': 'self-issued device', 'unknown-root': 'unknown root',
  authority: 'this authority', 'chain-missing': 'chain missing', plain: 'plain',
};
