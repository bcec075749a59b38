/**
 * The transcript page's address, #/ceremony/<id>/transcript: a page of its
 * own, without the app's sections around it, because it is what gets printed
 * (by the app's printToPDF, the CLI's headless Chromium and the browser tests).
 */
import { useEffect, useState } from 'react';

const TRANSCRIPT_ROUTE = /^#\/ceremony\/([^/]+)\/transcript$/;

export function transcriptHref(ceremony: string): string {
  return `#/ceremony/${encodeURIComponent(ceremony)}/transcript`;
}

function current(): string | undefined {
  const m = TRANSCRIPT_ROUTE.exec(window.location.hash);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

/** The ceremony whose transcript the address names, or undefined on any other page. */
export function useTranscriptRoute(): string | undefined {
  const [ceremony, setCeremony] = useState(current);
  useEffect(() => {
    const onHash = () => setCeremony(current());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return ceremony;
}
