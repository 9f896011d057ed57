// AT's end-of-session notification (shared/research/at-protocol.md §4): parsed leniently, since
// notifications may be late, duplicated, for sessions we never saw, and `cost` arrives both as
// "KES 0.10" and as a number. Pure; the app stores the result in the interaction log.
import type { SessionEndRow } from '../log/types.ts';
import { normalizePhone } from '../phone.ts';
import { parseCost } from './cost.ts';

/** The notification's fields as the log stores them, with the phone number still in clear. */
export type SessionEnd = Omit<SessionEndRow, 'at' | 'phoneHash' | 'phone' | 'raw'> & {
  phoneNumber: string;
  /** Every field as received. */
  raw: Record<string, string>;
};

const FIELD_MAX = 2048;

export function parseSessionEnd(form: URLSearchParams): SessionEnd | { error: string } {
  const raw: Record<string, string> = {};
  for (const [k, v] of form)
    if (!(k in raw) && Object.keys(raw).length < 40) raw[k.slice(0, 64)] = v.slice(0, FIELD_MAX);
  const get = (k: string) => (raw[k] ?? '').trim();
  const sessionId = get('sessionId');
  if (!sessionId) return { error: 'missing field: sessionId' };
  const cost = parseCost(get('cost'));
  return {
    sessionId,
    serviceCode: get('serviceCode'),
    networkCode: get('networkCode'),
    phoneNumber: normalizePhone(raw['phoneNumber'] ?? ''),
    date: get('date'),
    status: get('status'),
    costRaw: get('cost'),
    costAmount: cost.amount,
    costCurrency: cost.currency,
    durationMs: toInt(get('durationInMillis')),
    hopsCount: toInt(get('hopsCount')),
    input: get('input'),
    lastAppResponse: get('lastAppResponse'),
    errorMessage: get('errorMessage'),
    raw,
  };
}

function toInt(value: string): number | null {
  return /^\d{1,15}$/.test(value) ? Number(value) : null;
}
