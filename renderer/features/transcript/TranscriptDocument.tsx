/**
 * The transcript as a document: what the app shows and what is printed on A4
 * and signed. Props to JSX only; the page around it (TranscriptScreen) loads
 * it and offers print, save and verify.
 *
 * Print: the whole document is one table whose header and footer rows
 * Chromium repeats on every printed page, so REHEARSAL (and INCOMPLETE) and
 * the JSON twin's hash stand on each page, in space of their own, never over
 * the text; a faint watermark, fixed, repeats on every page too. Each step is
 * a row that is not broken across pages when it fits on one.
 */
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { Fingerprint } from './Fingerprint.tsx';

type View = Output<'transcript.get'>;
type Transcript = View['transcript'];
type Step = Transcript['steps'][number];
type Person = NonNullable<Step['performer']>;

const ROLE_WORDS: Record<Person['role'], string> = { administrator: 'Administrator', custodian: 'Custodian', witness: 'Witness' };

const keepTogether = { breakInside: 'avoid', pageBreakInside: 'avoid' } as const;
const cellSx = { verticalAlign: 'top', textAlign: 'left', p: 0, pb: 2 } as const;

function Row({ children, label }: { children: ReactNode; label?: string }) {
  return <tr aria-label={label}><Box component="td" sx={{ ...cellSx, ...keepTogether }}>{children}</Box></tr>;
}

function Facts({ rows }: { rows: readonly [string, ReactNode][] }) {
  return (
    <Box component="dl" sx={{ display: 'grid', gridTemplateColumns: 'minmax(9rem, max-content) 1fr', columnGap: 2, rowGap: 0.5, m: 0 }}>
      {rows.map(([term, value]) => (
        <Box key={term} sx={{ display: 'contents' }}>
          <Box component="dt" sx={{ fontWeight: 600 }}>{term}</Box>
          <Box component="dd" sx={{ m: 0, minWidth: 0 }}>{value}</Box>
        </Box>
      ))}
    </Box>
  );
}

function when(time: string | undefined): ReactNode {
  return time ? <time dateTime={time}>{time.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC')}</time> : '—';
}

function personLine(p: Person | undefined): ReactNode {
  return p ? <>{visibleText(p.name)} ({ROLE_WORDS[p.role].toLowerCase()}), {when(p.time)}</> : '—';
}

function HeadLine({ head }: { head: { seq: number; hash: string } | undefined }) {
  if (!head) return <>—</>;
  return <>entry #{head.seq}<br /><Fingerprint hex={head.hash} /></>;
}

function Banner({ children, testId }: { children: ReactNode; testId: string }) {
  return (
    <Box data-testid={testId} sx={{ border: 3, borderColor: 'text.primary', fontWeight: 800, letterSpacing: '0.02em', textAlign: 'center', py: 0.5, mb: 1, fontSize: '1.05rem' }}>
      {children}
    </Box>
  );
}

function StepBlock({ step }: { step: Step }) {
  return (
    <Box component="section" aria-labelledby={`step-${step.index}`} data-step={step.id} sx={{ borderTop: 1, borderColor: 'divider', pt: 1.5 }}>
      <Typography id={`step-${step.index}`} variant="h3" component="h3" sx={{ fontSize: '1.1rem', fontWeight: 700, mb: 1 }}>
        Step {step.index + 1}: {visibleText(step.id)}{step.done ? '' : ' — NOT DONE'}
      </Typography>
      <Facts rows={[
        ['Performed by', step.done ? personLine(step.performer) : `${ROLE_WORDS[step.role]} (not done)`],
        ['Act', `${visibleText(step.act)}${step.quorum ? ', under the custodian quorum' : ''}`],
        ['Instructions', visibleText(step.instructions)],
        ['Checks', (
          <Box component="ul" sx={{ m: 0, pl: 0, listStyle: 'none' }}>
            {step.checks.map((c, i) => <li key={i}><Box component="span" aria-hidden sx={{ mr: 1 }}>☐</Box>{visibleText(c)}</li>)}
          </Box>
        )],
        ['Witnesses', step.witnesses.length ? (
          <Box component="ul" sx={{ m: 0, pl: 0, listStyle: 'none' }}>{step.witnesses.map((w, i) => <li key={i}>{personLine(w)}</li>)}</Box>
        ) : '—'],
        ...(step.artifacts.length ? [['Artifacts', (
          <Box component="ul" sx={{ m: 0, pl: 0, listStyle: 'none' }}>
            {step.artifacts.map((a, i) => (
              <Box component="li" key={i} sx={{ mb: 0.5 }}>
                {visibleText(a.kind)}: {visibleText(a.name)}{a.path ? <> ({visibleText(a.path)})</> : null}<br /><Fingerprint hex={a.sha256} />
              </Box>
            ))}
          </Box>
        )] as [string, ReactNode]] : []),
        ...(step.custodians.length ? [['Custodians', (
          <Box component="ul" sx={{ m: 0, pl: 0, listStyle: 'none' }}>
            {step.custodians.map((c, i) => <Box component="li" key={i} sx={{ mb: 0.5 }}>CHR {visibleText(c.chr)}, key<br /><Fingerprint hex={c.keySha256} /></Box>)}
          </Box>
        )] as [string, ReactNode]] : []),
        ['Journal', step.seq !== undefined
          ? <>entry #{step.seq}, {when(step.time)}{step.actSeqs.length ? `; its acts in entries ${step.actSeqs.map((s) => `#${s}`).join(', ')}` : ''}</>
          : 'no entry'],
      ]} />
    </Box>
  );
}

export function TranscriptDocument({ view }: { view: View }) {
  const t = view.transcript;
  const incomplete = t.status === 'incomplete';
  const marks = (
    <>
      {t.rehearsal && <Banner testId="transcript-rehearsal">REHEARSAL — virtual or test tokens: not a production ceremony</Banner>}
      {incomplete && <Banner testId="transcript-incomplete">INCOMPLETE — the ceremony has not ended: this is not its record</Banner>}
    </>
  );
  const artifacts = t.steps.flatMap((s) => s.artifacts.map((a) => ({ step: s, a })));
  return (
    <Box component="article" aria-label="Ceremony transcript" data-testid="transcript-document"
      sx={{ position: 'relative', '@media print': { color: 'common.black', bgcolor: 'common.white', fontSize: '10.5pt' } }}>
      {(t.rehearsal || incomplete) && (
        <Box aria-hidden data-testid="transcript-watermark" sx={{
          display: 'none',
          '@media print': {
            display: 'block', position: 'fixed', top: '45%', left: 0, right: 0, textAlign: 'center', transform: 'rotate(-30deg)',
            fontSize: '72pt', fontWeight: 800, opacity: 0.08, pointerEvents: 'none', zIndex: 0,
          },
        }}>{incomplete ? 'INCOMPLETE' : 'REHEARSAL'}</Box>
      )}
      <Box component="table" role="presentation" sx={{ width: '100%', borderCollapse: 'collapse', position: 'relative', zIndex: 1 }}>
        <thead><tr><Box component="td" sx={{ ...cellSx, pb: 1 }}>{marks}</Box></tr></thead>
        <tfoot>
          <tr>
            <Box component="td" sx={{ ...cellSx, pb: 0, pt: 1, fontSize: '0.8rem' }}>
              {t.rehearsal && <Box component="span" sx={{ fontWeight: 800, mr: 1 }}>REHEARSAL</Box>}
              {incomplete && <Box component="span" sx={{ fontWeight: 800, mr: 1 }}>INCOMPLETE</Box>}
              Custos transcript of ceremony {visibleText(t.ceremony)} · JSON twin SHA-256 <Box component="span" sx={{ fontFamily: 'monospace' }}>{view.jsonSha256}</Box>
            </Box>
          </tr>
        </tfoot>
        <tbody>
          <Row>
            <Typography variant="h1" component="h1" sx={{ fontSize: '1.6rem', mb: 0.5 }}>Ceremony transcript: {visibleText(t.script.title)}</Typography>
            <Typography sx={{ mb: 1.5 }}>
              Ceremony <strong>{visibleText(t.ceremony)}</strong> · {incomplete ? 'not ended' : t.outcome === 'abandoned' ? 'ABANDONED' : 'completed'}
              {t.reason ? ` (${visibleText(t.reason)})` : ''}
            </Typography>
            <Facts rows={[
              ['Script', `${visibleText(t.script.id)}, version ${t.script.version}`],
              ['Script SHA-256', <Fingerprint key="s" hex={t.script.sha256} />],
              ['Operator', visibleText(t.operator)],
              ['Began', <>{when(t.begin.time)}, journal entry #{t.begin.seq}</>],
              ['Ended', t.end ? <>{when(t.end.time)}, journal entry #{t.end.seq}</> : 'not yet'],
              ['Tokens', t.rehearsal ? 'rehearsal (virtual or test) tokens' : 'production tokens'],
            ]} />
          </Row>
          <Row label="Journal heads">
            <Typography variant="h2" component="h2" sx={{ fontSize: '1.25rem', mb: 1 }}>Journal heads</Typography>
            <Facts rows={[
              ['Head before', <HeadLine key="hb" head={t.headBefore} />],
              ['Checkpoint before', t.checkpointBefore ? <HeadLine head={t.checkpointBefore} /> : 'none signed yet'],
              ['Head after', incomplete ? 'not yet: the ceremony has not ended' : <HeadLine head={t.headAfter} />],
              ['Checkpoint after', t.checkpointAfter ? <HeadLine head={t.checkpointAfter} /> : incomplete ? 'not yet' : 'none'],
            ]} />
          </Row>
          <Row><Typography variant="h2" component="h2" sx={{ fontSize: '1.25rem' }}>Steps</Typography></Row>
          {t.steps.map((s) => <Row key={s.index}><StepBlock step={s} /></Row>)}
          <Row label="Fingerprints">
            <Typography variant="h2" component="h2" sx={{ fontSize: '1.25rem', mb: 1 }}>Fingerprints (SHA-256) read aloud</Typography>
            {artifacts.length === 0 ? <Typography>None yet.</Typography> : (
              <Box component="ul" sx={{ m: 0, pl: 0, listStyle: 'none' }}>
                {artifacts.map(({ step, a }, i) => (
                  <Box component="li" key={i} sx={{ mb: 1 }}>
                    Step {step.index + 1}, {visibleText(a.kind)}: {visibleText(a.name)}<br /><Fingerprint hex={a.sha256} />
                  </Box>
                ))}
              </Box>
            )}
          </Row>
          <Row label="Signatures">
            <Typography variant="h2" component="h2" sx={{ fontSize: '1.25rem', mb: 1 }}>Signatures</Typography>
            {incomplete ? (
              <Typography data-testid="transcript-not-to-sign" sx={{ fontWeight: 700 }}>
                Not to be signed: the ceremony has not ended. Sign the transcript made once it has.
              </Typography>
            ) : (
              <>
              <Typography sx={{ mb: 2 }}>
                By signing, each person confirms that this transcript records the ceremony as they saw it{t.rehearsal ? ', as a REHEARSAL' : ''}.
              </Typography>
              <Box sx={{ display: 'grid', gridTemplateColumns: '1fr 1fr', columnGap: 4, rowGap: 4 }}>
                {t.signatures.map((p, i) => (
                  <Box key={i} data-signature={p.name} sx={keepTogether}>
                    <Box sx={{ borderBottom: 1, borderColor: 'text.primary', height: '2.5rem' }} />
                    <Typography variant="body2" sx={{ fontWeight: 600 }}>{visibleText(p.name)}</Typography>
                    <Typography variant="body2">{ROLE_WORDS[p.role]}: signature and date</Typography>
                  </Box>
                ))}
              </Box>
              </>
            )}
          </Row>
        </tbody>
      </Box>
    </Box>
  );
}
