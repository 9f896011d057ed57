// Africa's Talking USSD callback protocol: the hop form in, `CON …`/`END …` out
// (shared/research/at-protocol.md §1-2). Pure parsing and formatting; no I/O. Whatever we reply
// passes formatReply(), the last guard that every body is valid on a phone.

import { normalizePhone } from '../phone.ts';
import { cleanScreen, fitText, SCREEN_SEPTETS } from '../screen/fit.ts';
import type { Reply } from '../types.ts';

/**
 * Set on a "still thinking" reply: the answer is being written and "1" fetches it. Not AT's: AT
 * ignores it. Our own clients (npm run dial) read it to wait for an answer (issue 16).
 */
export const ANSWER_PENDING_HEADER = 'X-Answer-Pending';

/** AT never sends more than a few hundred bytes; anything bigger is not AT (issue 2). */
export const MAX_BODY_BYTES = 8 * 1024;
const MAX_FIELD = { sessionId: 128, serviceCode: 64, phoneNumber: 32, networkCode: 32 } as const;

export interface Hop {
  sessionId: string;
  serviceCode: string;
  phoneNumber: string;
  /** Absent or non-numeric from third-party simulators: kept as sent, never rejected. */
  networkCode?: string;
  /** Every input of the session joined by '*'; '' on the first hop. */
  text: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; status: 400; message: string };

/** Reads the hop fields from a form body. Unknown fields are ignored; a repeated field keeps its first value. */
export function parseHop(form: URLSearchParams): ParseResult<Hop> {
  const missing = (['sessionId', 'serviceCode', 'phoneNumber'] as const).filter((f) => !form.get(f)?.trim());
  if (missing.length > 0) return bad(`missing field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  const sessionId = clean(form.get('sessionId') ?? '');
  const serviceCode = clean(form.get('serviceCode') ?? '');
  const phoneNumber = normalizePhone((form.get('phoneNumber') ?? '').replace(/[\u0000-\u001f\u007f]/g, ''));
  const networkCode = clean(form.get('networkCode') ?? '');
  for (const [field, value] of Object.entries({ sessionId, serviceCode, phoneNumber, networkCode })) {
    if (value.length > MAX_FIELD[field as keyof typeof MAX_FIELD]) return bad(`field too long: ${field}`);
  }
  if (!sessionId || !phoneNumber || !serviceCode)
    return bad('empty field: sessionId, serviceCode or phoneNumber');
  // Control characters are never keypresses; NULs and escapes would only end up in logs.
  const text = (form.get('text') ?? '').replace(/[\u0000-\u001f\u007f]/g, '');
  return {
    ok: true,
    value: { sessionId, serviceCode, phoneNumber, text, ...(networkCode ? { networkCode } : {}) },
  };
}

/**
 * The body AT gets: exactly one `CON `/`END ` prefix, GSM-7 only, lines trimmed, at most 182
 * septets after the prefix. Menus are checked at boot and answers are fitted upstream; this is
 * the last guard, so a slip anywhere still reaches the phone as a valid screen.
 */
export function formatReply(reply: Reply): string {
  let text = fitText(cleanScreen(reply.text), SCREEN_SEPTETS);
  if (text.length === 0) text = reply.kind === 'END' ? 'Thank you.' : '...';
  return `${reply.kind} ${text}`;
}

/** The session's new input: what `text` adds to the previous hop's text. Null when it does not extend it. */
export function newInput(previousText: string, text: string): string | null {
  if (previousText === '') return text;
  if (text.startsWith(`${previousText}*`)) return text.slice(previousText.length + 1);
  return null;
}

function clean(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, '').trim();
}

function bad(message: string): { ok: false; status: 400; message: string } {
  return { ok: false, status: 400, message };
}
