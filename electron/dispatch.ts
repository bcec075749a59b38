/**
 * The one door every call from the window goes through, for the Electron IPC
 * and the loopback dev host alike: the channel must be in the contract, the
 * input is parsed as unknown with that channel's schema, and whatever the
 * handler throws comes back as a Result with a code. Plain TypeScript with no
 * `electron` import, so the dev host and tests use the same function.
 * Inputs are never logged or echoed: a PIN crosses here in token.login.
 */
import type { z } from 'zod';
import { api, events, type Channel, type EventName, type EventPayload, type Handlers, type Result } from '../main/api/contract.ts';
import { toErrorValue } from '../main/errors/index.ts';

export const CHANNEL_PREFIX = 'custos:';
export const EVENT_CHANNEL = 'custos:event';
export const CHANNELS = Object.keys(api) as Channel[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.hasOwn(api, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** Something that pushes the core's events; returns an unsubscribe function. */
export type EventSink = <E extends EventName>(name: E, payload: EventPayload<E>) => void;
export interface EventSource {
  subscribe(sink: EventSink): () => void;
}

function invalidInput(channel: string, issues: readonly z.core.$ZodIssue[]): Result<never> {
  // Issue paths and messages only: zod's messages name the rule, never the value.
  const fields = issues.map((i) => i.path.join('.') || '(input)');
  const first = issues[0];
  const where = first && first.path.length > 0 ? first.path.join('.') : 'input';
  return {
    ok: false,
    error: {
      code: 'INPUT_INVALID',
      message: `${channel}: ${where} is invalid${first ? ` (${first.message})` : ''}.`,
      details: { channel, fields },
    },
  };
}

export async function dispatch(handlers: Handlers, channel: unknown, input: unknown): Promise<Result<unknown>> {
  if (!isChannel(channel)) {
    return { ok: false, error: { code: 'INPUT_INVALID', message: 'There is no such call in the contract.', details: {} } };
  }
  const parsed = api[channel].input.safeParse(input);
  if (!parsed.success) return invalidInput(channel, parsed.error.issues);
  try {
    const handler = handlers[channel] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (e) {
    const error = toErrorValue(e);
    return { ok: false, error: { code: error.code, message: error.message, details: { ...error.details } } };
  }
}
