/**
 * Reading a ceremony script: JSON, checked against the schema, every
 * finding reported at once (a script is fixed at a desk before the room
 * gathers, so one run should name all that is wrong), each with its own
 * code, the step it is in and the field.
 */
import { CustosError, type ErrorCode } from '../errors/index.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { Script } from './script-schema.ts';

/** Far above any script a person writes; a file bigger than this is the wrong file. */
export const MAX_SCRIPT_BYTES = 256 * 1024;

export interface ScriptFinding {
  readonly code: ErrorCode;
  readonly message: string;
  /** The step's id when it has one, else "step N" (1-based); absent for the script's own fields. */
  readonly step?: string;
  /** Dotted path of the field inside the step (or the script), e.g. "action.params.days". */
  readonly field: string;
}

type Issue = { code: string; path: PropertyKey[]; message: string; keys?: string[]; discriminator?: string; input?: unknown };

function stepName(data: unknown, index: number): string {
  const steps = (data as { steps?: unknown } | null)?.steps;
  const id = Array.isArray(steps) ? (steps[index] as { id?: unknown } | null)?.id : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : `step ${index + 1}`;
}

function findingOf(issue: Issue, data: unknown): ScriptFinding {
  const path = issue.path.map(String);
  const inStep = path[0] === 'steps' && path.length >= 2 && /^\d+$/.test(path[1]!);
  const step = inStep ? stepName(data, Number(path[1])) : undefined;
  const fieldPath = inStep ? path.slice(2) : path;
  if (issue.code === 'unrecognized_keys') fieldPath.push(issue.keys?.[0] ?? '');
  const field = fieldPath.join('.') || '(script)';
  const where = step ? `step "${step}", field "${field}"` : `field "${field}"`;
  if (issue.code === 'unrecognized_keys') {
    return { code: 'CEREMONY_FIELD_UNKNOWN', message: `The script's ${where} is not a field of a ceremony script: check its spelling.`, field, ...(step ? { step } : {}) };
  }
  if (issue.code === 'invalid_union' && issue.discriminator === 'act') {
    return { code: 'CEREMONY_ACT_UNKNOWN', message: `The script's ${where} names no act Custos knows. ${issue.message}.`, field, ...(step ? { step } : {}) };
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
    return { code: 'CEREMONY_FIELD_MISSING', message: `The script's ${where} is missing.`, field, ...(step ? { step } : {}) };
  }
  return { code: 'CEREMONY_FIELD_INVALID', message: `The script's ${where} ${issue.message.replace(/^Invalid input: /, '')}.`, field, ...(step ? { step } : {}) };
}

export type LoadedScript = { readonly ok: true; readonly script: Script } | { readonly ok: false; readonly findings: readonly ScriptFinding[] };

/** Parses a script's text; never throws for what is wrong with the script. */
export function parseScript(text: string): LoadedScript {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, findings: [{ code: 'CEREMONY_SCRIPT_MALFORMED', field: '(file)', message: `The ceremony script is not JSON (${e instanceof Error ? e.message : String(e)}).` }] };
  }
  const checked = Script.safeParse(data);
  if (checked.success) return { ok: true, script: checked.data };
  return { ok: false, findings: checked.error.issues.map((i) => findingOf(i as Issue, data)) };
}

/** The findings as one error: the first one's code, every code in its details. */
export function scriptError(source: string, findings: readonly ScriptFinding[]): CustosError | undefined {
  const first = findings[0];
  if (!first) return undefined;
  const more = findings.length > 1 ? ` (${findings.length - 1} more: ${findings.slice(1).map((f) => f.code).join(', ')})` : '';
  return new CustosError(first.code, `${source}: ${first.message}${more}`, {
    source, field: first.field, ...(first.step ? { step: first.step } : {}),
    findings: findings.map((f) => `${f.code} ${f.step ? `${f.step}: ` : ''}${f.field}`),
  });
}

/** Reads and parses a script file; throws the findings as one CustosError (scriptError). */
export async function loadScript(path: string): Promise<Script> {
  const bytes = await readBoundedFile(path, MAX_SCRIPT_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CustosError('CEREMONY_SCRIPT_MALFORMED', `${path}: the ceremony script is not UTF-8 text.`, { source: path, field: '(file)' });
  }
  const loaded = parseScript(text);
  if (loaded.ok) return loaded.script;
  throw scriptError(path, loaded.findings)!;
}
