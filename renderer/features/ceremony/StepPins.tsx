/**
 * One PIN field per HSM a ceremony step opens (the ceremony's HSM, a
 * secondary), each named for its token, with the tries it has left; on a
 * token whose next wrong PIN blocks it, the PIN is sent only once the person
 * ticks that they understand, as the PIN dialog asks everywhere else.
 */
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { Output } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import type { TypedPin } from './step-pins.ts';

type Token = Output<'token.list'>[number];

function helperOf(token: Token | undefined): string {
  if (!token) return 'Not present: insert it.';
  if (token.pinState.locked) return 'Its PIN is blocked: unblock it on the Tokens screen.';
  const tries = token.pinState.triesLeft === undefined ? '' : `${token.pinState.triesLeft} ${token.pinState.triesLeft === 1 ? 'try' : 'tries'} left. `;
  return `${tries}${token.loggedIn ? 'Logged in: leave it empty.' : 'Typed here, sent once to this HSM, kept nowhere.'}`;
}

export function StepPins({ opens, tokens, typed, onChange }: {
  opens: readonly { tokenId: string; label: string }[];
  tokens: readonly Token[];
  typed: Readonly<Record<string, TypedPin>>;
  onChange: (tokenId: string, change: TypedPin) => void;
}) {
  return (
    <Stack spacing={1} role="group" aria-label="PINs of the HSMs this step opens">
      {opens.map((o) => {
        const token = tokens.find((t) => t.id === o.tokenId);
        const entry = typed[o.tokenId] ?? { pin: '', confirmFinalTry: false };
        const finalTry = token?.pinState.finalTry === true;
        return (
          <Stack key={o.tokenId} direction="row" spacing={2} sx={{ alignItems: 'flex-start', flexWrap: 'wrap' }}>
            <TextField label={`${visibleText(o.label)} PIN`} type="password" autoComplete="off" value={entry.pin} sx={{ width: 320 }}
              onChange={(e) => onChange(o.tokenId, { ...entry, pin: e.target.value })} disabled={token?.pinState.locked === true}
              error={finalTry} helperText={finalTry ? 'Final try: one more wrong PIN blocks this HSM.' : helperOf(token)}
              slotProps={{ htmlInput: { maxLength: 64 } }} />
            {finalTry && (
              <FormControlLabel sx={{ mt: 1 }} label={`I understand that a wrong PIN now blocks ${visibleText(o.label)}`}
                control={<Checkbox checked={entry.confirmFinalTry} onChange={(e) => onChange(o.tokenId, { ...entry, confirmFinalTry: e.target.checked })} />} />
            )}
          </Stack>
        );
      })}
    </Stack>
  );
}
