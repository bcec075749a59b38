import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useCallback, useState, type FormEvent } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { KEY_SPEC_CHOICES } from './keySpecs.ts';

export function GenerateKeyForm({ tokenId, disabled, onGenerated }: { tokenId: string; disabled: boolean; onGenerated: () => void }) {
  const [specId, setSpecId] = useState(KEY_SPEC_CHOICES[0]!.id);
  const [label, setLabel] = useState('');
  const generate = useAction(useCallback(async (spec: (typeof KEY_SPEC_CHOICES)[number]['spec'], keyLabel: string) => {
    const key = await api.call('token.generateKey', { tokenId, spec, label: keyLabel });
    onGenerated();
    return key;
  }, [tokenId, onGenerated]));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const choice = KEY_SPEC_CHOICES.find((c) => c.id === specId);
    if (choice && label.trim()) void generate.run(choice.spec, label.trim());
  };

  return (
    <form onSubmit={submit} aria-label="Generate a key pair">
      <Stack direction="row" spacing={2} sx={{ alignItems: 'flex-start', flexWrap: 'wrap' }} useFlexGap>
        <TextField select label="Key type" value={specId} onChange={(e) => setSpecId(e.target.value)} size="small" sx={{ minWidth: 160 }} disabled={generate.running}>
          {KEY_SPEC_CHOICES.map((c) => <MenuItem key={c.id} value={c.id}>{c.title}</MenuItem>)}
        </TextField>
        <TextField label="Key label" value={label} onChange={(e) => setLabel(e.target.value)} size="small" required slotProps={{ htmlInput: { maxLength: 64 } }} disabled={generate.running} />
        <Button type="submit" variant="contained" disabled={disabled || generate.running || label.trim() === ''}>
          {generate.running ? 'Generating…' : 'Generate key pair'}
        </Button>
      </Stack>
      <WorkProgress running={generate.running} label="Generating the key pair on the token" operation="key.generate" />
      <ErrorAlert error={generate.error} />
    </form>
  );
}
