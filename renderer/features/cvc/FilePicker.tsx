/** A labelled button over a hidden file input: keyboard-usable, and reachable by id for tests. */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import { useRef } from 'react';

export function FilePicker({ id, label, accept, onPick, disabled }: { id: string; label: string; accept: string; onPick: (file: File) => void; disabled?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  // One element, so a Stack's spacing falls between pickers, not between a picker and its hidden input.
  return (
    <Box component="span">
      <input id={id} ref={input} type="file" accept={accept} hidden aria-label={label}
        onChange={(e) => { const f = e.target.files?.[0]; if (f) onPick(f); e.target.value = ''; }} />
      <Button variant="outlined" disabled={disabled} onClick={() => input.current?.click()}>{label}</Button>
    </Box>
  );
}
