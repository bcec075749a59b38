/**
 * Where an export went: the path the core wrote, and the same bytes as a
 * download link, for when the window is not on the machine with the medium.
 */
import Alert from '@mui/material/Alert';
import Link from '@mui/material/Link';
import { useEffect, useState } from 'react';
import type { z } from 'zod';
import type { ExportResult } from '../../main/api/contract.ts';
import { monoSx } from '../theme.ts';
import Box from '@mui/material/Box';

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function ExportResultView({ result }: { result: z.output<typeof ExportResult> | undefined }) {
  const [href, setHref] = useState<string>();
  useEffect(() => {
    if (!result) return;
    const url = URL.createObjectURL(new Blob([base64ToBytes(result.contentBase64)], { type: 'application/octet-stream' }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [result]);
  if (!result) return null;
  return (
    <Alert severity="success" sx={{ my: 1 }}>
      Written {result.bytes} bytes to <Box component="span" sx={monoSx}>{result.path}</Box>.{' '}
      {href && <Link href={href} download={result.fileName}>Download {result.fileName}</Link>}
    </Alert>
  );
}
