/** The PIN's state as the token reports it, shown before anyone types a PIN. */
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import type { z } from 'zod';
import type { PinState } from '../../../main/api/contract.ts';

export function PinStateChips({ pin }: { pin: z.output<typeof PinState> }) {
  return (
    <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: 'wrap' }} aria-label="PIN state">
      <Chip size="small" variant="outlined" label={pin.initialized ? 'PIN initialised' : 'PIN not initialised'} color={pin.initialized ? 'default' : 'warning'} />
      {pin.triesLeft !== undefined && <Chip size="small" variant="outlined" label={`${pin.triesLeft} ${pin.triesLeft === 1 ? 'try' : 'tries'} left`} />}
      {pin.countLow && <Chip size="small" color="warning" label="PIN count low" />}
      {pin.finalTry && <Chip size="small" color="error" label="Final try" />}
      {pin.locked && <Chip size="small" color="error" label="PIN locked" />}
    </Stack>
  );
}
