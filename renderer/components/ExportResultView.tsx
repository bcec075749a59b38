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

type Result = z.output<typeof ExportResult>;

export function ExportResultView({ result }: { result: Result | undefined }) {
  // The link's URL is kept with the result it was made for: on the render that shows a new
  // result, the previous URL is already revoked, and a link to it would download nothing
  // (or, clicked quickly, the previous file under the new name).
  const [download, setDownload] = useState<{ for: Result; href: string }>();
  useEffect(() => {
    if (!result) return;
    const href = URL.createObjectURL(new Blob([base64ToBytes(result.contentBase64)], { type: 'application/octet-stream' }));
    setDownload({ for: result, href });
    return () => URL.revokeObjectURL(href);
  }, [result]);
  if (!result) return null;
  const href = download?.for === result ? download.href : undefined;
  return (
    <Alert severity="success" sx={{ my: 1 }}>
      Written {result.bytes} bytes to <Box component="span" sx={monoSx}>{result.path}</Box>.{' '}
      {href && <Link href={href} download={result.fileName}>Download {result.fileName}</Link>}
    </Alert>
  );
}
