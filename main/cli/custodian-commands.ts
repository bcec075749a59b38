/**
 * The CLI's commands of issue #17 beside the acts: a request made from a
 * token key (a subordinate CA's), the PIN's state, change and unblock (the
 * PINs come from --*-pin-env / --*-pin-file or a hidden prompt, never the
 * command line), and the journal exported.
 */
import { resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import type { PinState, Token } from '../hsm/token.ts';
import { changeUserPin, unblockUserPin } from '../hsm/pin-change.ts';
import { requestForTokenKey } from '../ca/key-request.ts';
import { writeExport } from '../ca/export.ts';
import { exportJournal } from '../ca/journal-export.ts';
import { exportFileName, PEM_LABEL, safeBaseName, toPem } from '../pki/formats/index.ts';
import { readPin } from './pin.ts';
import { shown, type Output } from './output.ts';
import { type CliValues, str } from './values.ts';

/** What commands.ts lends: how a token is named and logged in to, and required options. */
export interface CommandHelpers {
  findTokenId(core: Custos, values: CliValues): Promise<string>;
  loggedInToken(core: Custos, values: CliValues): Promise<Token>;
  need(values: CliValues, name: string, hint: string): string;
}

export function pinStateText(state: PinState, which: 'PIN' | 'SO-PIN'): string {
  if (!state.initialized) return `${which} not set`;
  if (state.locked) return which === 'SO-PIN' ? 'SO-PIN BLOCKED: it cannot be reset; only initializing the token again (which erases its keys) helps' : 'PIN BLOCKED: unblock it with custos pin unblock';
  const tries = state.triesLeft === undefined ? '' : ` (${state.triesLeft} ${state.triesLeft === 1 ? 'try' : 'tries'} left)`;
  if (state.finalTry || state.triesLeft === 1) return `${which}: FINAL TRY${tries}`;
  // A PKCS#11 token tells no number, only that wrong entries were counted (CKF_*_PIN_COUNT_LOW).
  if (state.countLow && state.triesLeft === undefined) return `${which}: wrong entries counted since the last good one; a few more block it`;
  return `${which} ok${tries}`;
}

const SO_PIN_WARNING = 'A blocked SO-PIN cannot be reset: the token can then only be initialized again, which erases every key on it.';

export async function runCustodianCommand(command: string, core: Custos, values: CliValues, out: Output, h: CommandHelpers): Promise<void> {
  switch (command) {
    case 'key csr': {
      const token = await h.loggedInToken(core, values);
      const keyLabel = h.need(values, 'key', 'the label of the key on the token (custos key list)');
      const key = (await token.listKeys()).find((k) => k.label === keyLabel);
      if (!key) throw new CustosError('KEY_NOT_FOUND', `The token has no key labelled "${keyLabel}": generate one with "custos key generate".`, { label: keyLabel });
      const dir = resolve(h.need(values, 'out', 'the folder to write the request into (e.g. the USB stick)'));
      const { der, record } = await requestForTokenKey(core.ctx, { tokenId: await h.findTokenId(core, values), keySpkiSha256: key.spkiSha256, subject: h.need(values, 'subject', 'the subordinate CA\'s name, e.g. "C=DE, O=Example, CN=Example Issuing CA"') });
      const fileName = exportFileName('csr', 'pem', `${safeBaseName(record.subject)}-${record.id.slice(0, 8)}`);
      const exported = await writeExport(core.ctx, dir, fileName, new TextEncoder().encode(toPem(der, PEM_LABEL.csr)), { artifact: 'request', requestId: record.id, format: 'pem' }, token.info.virtual);
      out.result({ requestId: record.id, subject: record.subject, path: exported.path },
        () => `Request for key "${shown(key.label)}" (${shown(record.subject)}) signed by the token\n  written: ${exported.path}\n  request SHA-256 ${record.id}`);
      return;
    }
    case 'pin status': {
      const token = await core.tokens.open(await h.findTokenId(core, values));
      const info = await token.refresh();
      const so = await token.soPinState?.();
      out.result({ pin: info.pinState, ...(so ? { soPin: so } : {}) }, () => [
        `${shown(info.label)}: ${pinStateText(info.pinState, 'PIN')}`,
        ...(so ? [`${shown(info.label)}: ${pinStateText(so, 'SO-PIN')}`, `  ${SO_PIN_WARNING}`] : []),
      ].join('\n'));
      return;
    }
    case 'pin change': {
      const token = await core.tokens.open(await h.findTokenId(core, values));
      const pin = await readPin({ pinEnv: str(values['pin-env']), pinFile: str(values['pin-file']) }, `Current PIN for ${token.info.label}: `);
      const newPin = await readPin({ pinEnv: str(values['new-pin-env']), pinFile: str(values['new-pin-file']) }, 'New PIN: ');
      const info = await changeUserPin(core.journal, token, pin, newPin, { confirmFinalTry: values['confirm-final-try'] === true });
      out.result({ pin: info.pinState }, () => `PIN of ${shown(info.label)} changed. ${pinStateText(info.pinState, 'PIN')}`);
      return;
    }
    case 'pin unblock': {
      const token = await core.tokens.open(await h.findTokenId(core, values));
      const so = await token.soPinState?.();
      if (so) out.note(`${pinStateText(so, 'SO-PIN')}. ${SO_PIN_WARNING}`);
      const soPin = await readPin({ pinEnv: str(values['so-pin-env']), pinFile: str(values['so-pin-file']) }, `SO-PIN for ${token.info.label}: `);
      const newPin = await readPin({ pinEnv: str(values['new-pin-env']), pinFile: str(values['new-pin-file']) }, 'New PIN: ');
      const info = await unblockUserPin(core.journal, token, soPin, newPin, { confirmFinalTry: values['confirm-final-try'] === true });
      out.result({ pin: info.pinState }, () => `PIN of ${shown(info.label)} unblocked and set. ${pinStateText(info.pinState, 'PIN')}`);
      return;
    }
    case 'journal export': {
      const format = str(values.format) ?? (Array.isArray(values.format) ? values.format[0] : undefined) ?? 'jsonl';
      if (format !== 'jsonl' && format !== 'html') throw new CustosError('INPUT_INVALID', `--format ${format}: use jsonl or html.`, { option: 'format' });
      const exported = await exportJournal(core.ctx, { format, directory: resolve(h.need(values, 'out', 'the folder to write into')) });
      out.result({ path: exported.path, bytes: exported.bytes.length }, () => `written: ${exported.path}`);
      return;
    }
    default:
      throw new CustosError('INPUT_INVALID', `Unknown command "${command}". Run "custos --help".`, {});
  }
}
