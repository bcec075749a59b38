import Chip from '@mui/material/Chip';

/** A virtual (rehearsal) token or artifact, always marked. */
export function VirtualChip({ show }: { show: boolean }) {
  if (!show) return null;
  return <Chip label="VIRTUAL" color="warning" size="small" sx={{ fontWeight: 700, ml: 1 }} />;
}
