/**
 * The paper record a custodian keeps with their share: who, which share (its
 * KCV), when, on which card, and the domain's KCV once known. Printed alone:
 * the print stylesheet hides everything else on the page.
 */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import GlobalStyles from '@mui/material/GlobalStyles';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { localTime } from '../../components/review/words.ts';
import { monoSx } from '../../theme.ts';

export interface PaperRecordData {
  readonly custodian: string;
  readonly shareKcv: string;
  readonly date: string;
  /** The card the share went into, when it has been imported. */
  readonly card?: string;
  readonly domainKcv?: string;
  readonly fileName?: string;
}

const printOnlyRecord = {
  '@media print': {
    'body *': { visibility: 'hidden' },
    '[data-paper-record], [data-paper-record] *': { visibility: 'visible' },
    '[data-paper-record]': { position: 'absolute', left: 0, top: 0, width: '100%' },
  },
};

export function PaperRecordDialog({ record, onClose }: { record: PaperRecordData | undefined; onClose: () => void }) {
  const rows: [string, string | undefined][] = record ? [
    ['Custodian', record.custodian],
    ['Share KCV', record.shareKcv],
    ['Date', localTime(record.date)],
    ['Share file', record.fileName],
    ['Card', record.card ?? 'not yet imported'],
    ['Key domain KCV', record.domainKcv ?? 'known once every share is imported'],
  ] : [];
  return (
    <Dialog open={record !== undefined} onClose={onClose} aria-labelledby="paper-record-title" maxWidth="sm" fullWidth>
      <GlobalStyles styles={printOnlyRecord} />
      <DialogTitle id="paper-record-title">Paper record of a DKEK share</DialogTitle>
      <DialogContent>
        <Box data-paper-record>
          <Typography variant="h2" component="p" sx={{ mb: 1 }}>DKEK share: paper record</Typography>
          <Table size="small" aria-label="Paper record">
            <TableBody>
              {rows.filter(([, v]) => v !== undefined).map(([k, v]) => (
                <TableRow key={k}><TableCell component="th" scope="row">{k}</TableCell><TableCell sx={/^[0-9a-f]{16}$/.test(v ?? '') ? monoSx : undefined}>{v}</TableCell></TableRow>
              ))}
            </TableBody>
          </Table>
          <Typography variant="body2" sx={{ mt: 2 }}>
            Keep this record with the share&apos;s medium, apart from its password. The password is on no record: only its holder knows it.
          </Typography>
          <Typography variant="body2" sx={{ mt: 3 }}>Signature of the custodian: ______________________</Typography>
        </Box>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        <Button variant="contained" onClick={() => window.print()}>Print</Button>
      </DialogActions>
    </Dialog>
  );
}
