// Phone numbers: normalised once at the edge to E.164 (libphonenumber-js, default country
// DEFAULT_COUNTRY), then identified by a keyed hash everywhere (Redis keys, the log), so neither
// holds numbers in clear unless the operator opts in (issue 5). One subscriber is one number
// however a client spells it: +254711000202, 254711000202, 0711000202, +254-711-000-202 (issue 16).
import { createHmac } from 'node:crypto';
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

export type { CountryCode };

/** A subscriber as every part of the gateway knows them: the E.164 number and its keyed hash. */
export interface PhoneKey {
  e164: string;
  hash: string;
}

/** The subscriber for a phone number as a client sent it, or null when it is no phone number. */
export type PhoneKeys = (raw: string) => PhoneKey | null;

/**
 * Keys kept, in two generations of this many: every hop of a session (and a phone's next
 * sessions) reuses one parse and one HMAC while up to twice as many phones are dialling (~200
 * bytes each).
 */
const PHONE_KEY_GENERATION = 4096;

/**
 * AT sends E.164 with a leading '+' as %2B. Hand-made requests often send a raw '+', which form
 * decoding turns into a space (shared/research/at-protocol.md §1.4): restore it.
 */
export function normalizePhone(raw: string): string {
  const compact = raw.replace(/[\s\-().]/g, '');
  if (/^\d{6,15}$/.test(compact) && /^\s/.test(raw)) return `+${compact}`;
  return compact;
}

/**
 * The E.164 form of a number, read as a national number of `country` when it has no country code;
 * null when it is not a possible phone number (its length is wrong for its country, or no country
 * has its code). "Possible" rather than "valid": a new number range must not lock subscribers out.
 */
export function toE164(raw: string, country: CountryCode): string | null {
  const parsed = parsePhoneNumberFromString(normalizePhone(raw), { defaultCountry: country });
  return parsed?.isPossible() ? parsed.number : null;
}

export function isCountryCode(code: string): code is CountryCode {
  return isSupportedCountry(code);
}

/** A stable, non-reversible id for a phone number: HMAC-SHA256 keyed by PHONE_HASH_SECRET. */
export function hashPhone(phone: string, secret: string): string {
  return createHmac('sha256', secret).update(phone).digest('hex').slice(0, 32);
}

/**
 * The subscriber for each number as sent, cached: a parse (~6 µs) and an HMAC (~3.5 µs) against
 * ~20-40 µs of CPU for a whole hop (issue 16, bench:hop); an HMAC alone was ~4 % of a hop in the
 * issue 7 profile, ~5 % with 10,000 sessions open when a cache cleared whole when full missed most
 * of them. Every hop of a session after its first is a lookup. When the young generation fills it becomes
 * the old one; a key found in the old one moves back to the young: bounded, and the phones of
 * sessions still going stay. What is no phone number is cached too (as null): a client that
 * keeps sending it costs one lookup per hop.
 */
export function createPhoneKeys(options: { secret: string; defaultCountry: CountryCode }): PhoneKeys {
  const { secret, defaultCountry } = options;
  let young = new Map<string, PhoneKey | null>();
  let old = new Map<string, PhoneKey | null>();
  return (raw) => {
    let key = young.get(raw);
    if (key !== undefined) return key;
    key = old.get(raw);
    if (key === undefined) {
      const e164 = toE164(raw, defaultCountry);
      key = e164 === null ? null : { e164, hash: hashPhone(e164, secret) };
    }
    if (young.size >= PHONE_KEY_GENERATION) {
      old = young;
      young = new Map();
    }
    young.set(raw, key);
    return key;
  };
}

/** Phone numbers in logs at info level: the country code and the last two digits only. */
export function maskPhone(phone: string): string {
  if (phone.length <= 6) return '***';
  return `${phone.slice(0, 4)}***${phone.slice(-2)}`;
}
