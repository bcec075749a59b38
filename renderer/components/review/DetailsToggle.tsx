/** The raw tree, kept one click away: the review shows words, "Details" shows every field the core decoded. */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Collapse from '@mui/material/Collapse';
import { useId, useState, type ReactNode } from 'react';

/** defaultOpen: for a core that sent no readable description (an older one), the tree is all there is to read. */
export function DetailsToggle({ children, label = 'Details', defaultOpen = false }: { children: ReactNode; label?: string; defaultOpen?: boolean }) {
  const [open, setOpen] = useState(defaultOpen);
  const id = useId();
  return (
    <Box sx={{ mt: 1 }}>
      <Button size="small" variant="text" aria-expanded={open} aria-controls={id} onClick={() => setOpen((o) => !o)}>
        {open ? `Hide ${label.toLowerCase()}` : label}
      </Button>
      <Collapse in={open} unmountOnExit>
        <Box id={id} sx={{ mt: 1, minWidth: 0 }}>{children}</Box>
      </Collapse>
    </Box>
  );
}
