// The pure part of `npm run dial` (issue 6): the hop form exactly as Africa's Talking posts it
// (shared/research/at-protocol.md §1-2), the reading of a reply with its warnings, and the
// handset-like rendering of a screen. No I/O, no clock: dial.ts does the sending and the timing.
import { randomBytes } from 'node:crypto';
import { isGsm, septets } from '../screen/gsm7.ts';
import { HANDSET_COLUMNS, wrapScreen } from '../screen/wrap.ts';

export { HANDSET_COLUMNS, wrapScreen };

/** One subscriber dialling one code through one network, as AT describes them in every hop. */
export interface Dialer {
  serviceCode: string;
  phoneNumber: string;
  networkCode: string;
}

export type ReplyKind = 'CON' | 'END' | 'ERROR';

export interface ReadReply {
  /** ERROR when AT would end the session without showing our text (not 200, no CON/END prefix). */
  kind: ReplyKind;
  /** The screen after the prefix, or the raw body for ERROR. */
  text: string;
  warnings: string[];
}

/** GSM 04.80: 160 octets = 182 septets; one non-GSM-7 character makes the screen UCS-2, 80 characters. */
export const GSM_SCREEN_SEPTETS = 182;
export const UCS2_SCREEN_CHARS = 80;
/** AT's own budget per hop is 15 s including telco latency; others say 5-10 s (at-protocol.md §3). */
export const SLOW_HOP_MS = 8000;

/** A fresh session id in AT's shape: `ATUid_` and 32 hex digits (at-protocol.md §1.2). */
export function newSessionId(random: (n: number) => Uint8Array = randomBytes): string {
  return `ATUid_${Buffer.from(random(16)).toString('hex')}`;
}

/** The form of one hop: `text` is every input so far joined by '*', '' on the first hop. */
export function hopForm(dialer: Dialer, sessionId: string, inputs: readonly string[]): URLSearchParams {
  return new URLSearchParams({
    sessionId,
    serviceCode: dialer.serviceCode,
    phoneNumber: dialer.phoneNumber,
    networkCode: dialer.networkCode,
    text: inputs.join('*'),
  });
}

/** Reads a reply as AT would: 200, text/plain, `CON ` or `END ` and a screen a handset can show. */
export function readReply(status: number, contentType: string, body: string, ms: number): ReadReply {
  const warnings: string[] = [];
  if (status !== 200) warnings.push(`HTTP ${status}: AT ends the session on anything but 200`);
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'text/plain') warnings.push(`Content-Type is "${contentType}", not text/plain`);
  if (ms > SLOW_HOP_MS) warnings.push(`took ${ms} ms: AT or the telco may give up after 5-15 s`);
  const match = /^(CON|END) /.exec(body);
  if (status !== 200 || !match) {
    if (status === 200) warnings.push('the body does not start with "CON " or "END ": AT ends the session');
    return { kind: 'ERROR', text: body.trim(), warnings };
  }
  const text = body.slice(4);
  return { kind: match[1] as 'CON' | 'END', text, warnings: [...warnings, ...screenWarnings(text)] };
}

/** What would stop a handset from showing `text` whole. Empty when the screen fits. */
export function screenWarnings(text: string): string[] {
  if (isGsm(text)) {
    const n = septets(text);
    return n > GSM_SCREEN_SEPTETS ? [`${n} septets: over the ${GSM_SCREEN_SEPTETS} a screen can show`] : [];
  }
  const odd = [...new Set([...text].filter((ch) => !isGsm(ch)))].slice(0, 5);
  const shown = odd.map(
    (ch) => `"${ch}" U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
  );
  const length = [...text].length;
  const over =
    length > UCS2_SCREEN_CHARS ? `, and ${length} characters is over the ${UCS2_SCREEN_CHARS} it allows` : '';
  return [`not GSM-7 (${shown.join(', ')}): the screen becomes UCS-2${over}`];
}

/** The size figure shown under a screen: septets, or characters when UCS-2. */
export function screenSize(text: string): string {
  return isGsm(text)
    ? `${septets(text)}/${GSM_SCREEN_SEPTETS} septets`
    : `${[...text].length}/${UCS2_SCREEN_CHARS} UCS-2 chars`;
}

/** A screen in a box the handset's width, for a terminal. */
export function boxScreen(text: string, columns = HANDSET_COLUMNS): string {
  const rule = '─'.repeat(columns + 2);
  const body = wrapScreen(text, columns).map((l) => `│ ${l}${' '.repeat(columns - [...l].length)} │`);
  return [`┌${rule}┐`, ...body, `└${rule}┘`].join('\n');
}

/** A screen in the stable form scripts grep: the kind on its own line, the text, a blank line. */
export function plainScreen(reply: Pick<ReadReply, 'kind' | 'text'>): string {
  return `${reply.kind}\n${reply.text}\n\n`;
}
