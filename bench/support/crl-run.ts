/**
 * Runs bench/crl.ts (the CRL engineer's benchmark: each side in its own
 * process, peak RSS per process) and reads its report lines back.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface CrlRow {
  readonly entries: number;
  readonly custos?: { readonly buildSeconds: number; readonly signSeconds: number; readonly seconds: number; readonly peakRssMiB: number; readonly heldBeforeMiB: number; readonly bytes: number };
  readonly openssl?: { readonly seconds: number; readonly peakRssMiB: number | undefined; readonly bytes: number };
}

export interface CrlRun {
  readonly rows: readonly CrlRow[];
  /** crl.ts's own output, shown as it is. */
  readonly text: string;
  readonly ok: boolean;
}

export function runCrlBench(benchDir: string, counts: readonly number[]): CrlRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, 'crl.ts'), ...counts.map(String)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const text = `${r.stdout ?? ''}${r.status === 0 ? '' : r.stderr ?? ''}`.trim();
  const rows: CrlRow[] = [];
  let row: { entries: number; custos?: CrlRow['custos']; openssl?: CrlRow['openssl'] } | undefined;
  for (const line of (r.stdout ?? '').split('\n')) {
    const head = /^([\d,]+) entries$/.exec(line.trim());
    if (head) {
      row = { entries: Number(head[1]!.replace(/,/g, '')) };
      rows.push(row);
      continue;
    }
    const ours = /custos\s+build ([\d.]+) s \+ sign ([\d.]+) s = ([\d.]+) s; peak RSS (\d+) MiB \((\d+) MiB held.*?; (\d+) bytes/.exec(line);
    if (ours && row) {
      row.custos = { buildSeconds: Number(ours[1]), signSeconds: Number(ours[2]), seconds: Number(ours[3]), peakRssMiB: Number(ours[4]), heldBeforeMiB: Number(ours[5]), bytes: Number(ours[6]) };
      continue;
    }
    const theirs = /openssl\s+ca -gencrl ([\d.]+) s; peak RSS (\d+|\?) MiB; (\d+) bytes/.exec(line);
    if (theirs && row) row.openssl = { seconds: Number(theirs[1]), peakRssMiB: theirs[2] === '?' ? undefined : Number(theirs[2]), bytes: Number(theirs[3]) };
  }
  return { rows, text, ok: r.status === 0 };
}
