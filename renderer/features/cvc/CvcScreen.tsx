/**
 * CV certificates (EAC): the authorities Custos holds, the requests brought
 * to it, and every CV certificate it made or imported, as three tabs.
 */
import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Tab from '@mui/material/Tab';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Button from '@mui/material/Button';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { useCallback, useMemo, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Page, Section } from '../../components/Page.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { readFileBase64 } from '../requests/readFileBase64.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { CertificateDetail } from './CertificateDetail.tsx';
import { CertificateTable } from './CertificateTable.tsx';
import { CreateCvca } from './CreateCvca.tsx';
import { FilePicker } from './FilePicker.tsx';
import { SignCvcRequest } from './SignCvcRequest.tsx';
import { ATTESTATION_SHORT, ATTESTATION_WORDS, useCvcLists } from './useCvc.ts';

type TabId = 'authorities' | 'requests' | 'certificates';

export function CvcScreen() {
  const [tab, setTab] = useState<TabId>('authorities');
  const [selectedCertificate, setSelectedCertificate] = useState<string>();
  const [selectedRequest, setSelectedRequest] = useState<string>();
  const [deviceChain, setDeviceChain] = useState<File>();
  const { certificates, requests } = useCvcLists();
  const authorities = useMemo(() => (certificates.data ?? []).filter((c) => c.isAuthority), [certificates.data]);

  const importRequest = useAction(useCallback(async (file: File) => {
    const imported = await api.call('cvc.importRequest', {
      fileName: file.name, contentBase64: await readFileBase64(file), ...(deviceChain ? { deviceChainBase64: await readFileBase64(deviceChain) } : {}),
    });
    setSelectedRequest(imported.id);
    requests.reload();
    return imported;
  }, [deviceChain, requests.reload]));
  const importCertificates = useAction(useCallback(async (file: File) => {
    const imported = await api.call('cvc.importCertificates', { fileName: file.name, contentBase64: await readFileBase64(file) });
    if (imported.at(-1)) setSelectedCertificate(imported.at(-1)!.id);
    certificates.reload();
    return imported;
  }, [certificates.reload]));
  const open = (id: string) => { setSelectedCertificate(id); setTab('certificates'); };

  return (
    <Page title="CV certificates">
      <Tabs value={tab} onChange={(_, v: TabId) => setTab(v)} aria-label="CVC areas" sx={{ mb: 2 }}>
        <Tab value="authorities" label={`Authorities (${authorities.length})`} id="cvc-tab-authorities" aria-controls="cvc-panel" />
        <Tab value="requests" label={`Requests (${requests.data?.length ?? 0})`} id="cvc-tab-requests" aria-controls="cvc-panel" />
        <Tab value="certificates" label={`Certificates (${certificates.data?.length ?? 0})`} id="cvc-tab-certificates" aria-controls="cvc-panel" />
      </Tabs>
      <ErrorAlert error={certificates.error ?? requests.error} />
      <Box id="cvc-panel" role="tabpanel" aria-labelledby={`cvc-tab-${tab}`}>
        {tab === 'authorities' && (
          <>
            <Section title="CVC authorities">
              <Typography variant="body2" sx={{ mb: 1 }}>CVCAs and document verifiers whose keys Custos holds: they sign DV, terminal and link certificates.</Typography>
              <CertificateTable rows={authorities} label="CVC authorities" onOpen={open} />
            </Section>
            <Section title="Make a CVCA">
              <CreateCvca />
            </Section>
          </>
        )}
        {tab === 'requests' && (
          <>
            <Section title="Import a CV request">
              <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
                <FilePicker id="cvc-chain-input" label={deviceChain ? `Device chain: ${visibleText(deviceChain.name)}` : 'Device chain (EF 2F02)…'} accept=".cvcert,.bin,.der" onPick={setDeviceChain} />
                <FilePicker id="cvc-request-input" label="Import request (.cvreq)…" accept=".cvreq,.bin,.der" onPick={(f) => void importRequest.run(f)} disabled={importRequest.running} />
              </Stack>
              <Typography variant="caption" component="p" sx={{ mt: 1 }}>A SmartCard-HSM&apos;s request is checked with its device chain: pick the chain first.</Typography>
              <ErrorAlert error={importRequest.error} />
            </Section>
            <Section title="CV requests">
              {(requests.data ?? []).length === 0 ? <Typography variant="body2">No CV request imported yet.</Typography> : (
                <Table size="small" aria-label="CV requests">
                  <TableHead><TableRow><TableCell>CHR</TableCell><TableCell>File</TableCell><TableCell>Attestation</TableCell><TableCell>Status</TableCell><TableCell>Open</TableCell></TableRow></TableHead>
                  <TableBody>
                    {(requests.data ?? []).map((r) => (
                      <TableRow key={r.id} selected={r.id === selectedRequest}>
                        <TableCell>{visibleText(r.chr)}</TableCell>
                        <TableCell>{visibleText(r.fileName)}</TableCell>
                        <TableCell title={ATTESTATION_WORDS[r.attestation]}>{ATTESTATION_SHORT[r.attestation]}</TableCell>
                        <TableCell>{r.signedCertificateId ? 'signed' : 'pending'}</TableCell>
                        <TableCell><Button size="small" onClick={() => setSelectedRequest(r.id)} aria-label={`Open CV request ${visibleText(r.chr)}`}>Open</Button></TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </Section>
            {selectedRequest && (
              <Section title="CV request">
                <SignCvcRequest key={selectedRequest} requestId={selectedRequest} authorities={authorities} />
              </Section>
            )}
          </>
        )}
        {tab === 'certificates' && (
          <>
            <Section title="Import CV certificates">
              <FilePicker id="cvc-certificate-input" label="Import certificates (.cvcert)…" accept=".cvcert,.bin,.der" onPick={(f) => void importCertificates.run(f)} disabled={importCertificates.running} />
              <ErrorAlert error={importCertificates.error} />
            </Section>
            <Section title="CV certificates">
              <CertificateTable rows={certificates.data ?? []} label="CV certificates" selected={selectedCertificate} onOpen={setSelectedCertificate} />
            </Section>
            {selectedCertificate && (
              <Section title="CV certificate">
                <CertificateDetail key={selectedCertificate} id={selectedCertificate} />
              </Section>
            )}
          </>
        )}
      </Box>
    </Page>
  );
}
