// Phone numbers: normalised once at the edge, then identified by a keyed hash everywhere (Redis
// keys, the log), so neither holds numbers in clear unless the operator opts in (issue 5).
import { createHmac } from 'node:crypto';

/**
 * AT sends E.164 with a leading '+' as %2B. Hand-made requests often send a raw '+', which form
 * decoding turns into a space (shared/research/at-protocol.md §1.4): restore it.
 */
export function normalizePhone(raw: string): string {
  const compact = raw.replace(/[\s\-().]/g, '');
  if (/^\d{6,15}$/.test(compact) && /^\s/.test(raw)) return `+${compact}`;
  return compact;
}

/** A stable, non-reversible id for a phone number: HMAC-SHA256 keyed by PHONE_HASH_SECRET. */
export function hashPhone(phone: string, secret: string): string {
  return createHmac('sha256', secret).update(phone).digest('hex').slice(0, 32);
}

/** Phone numbers in logs at info level: the country code and the last two digits only. */
export function maskPhone(phone: string): string {
  if (phone.length <= 6) return '***';
  return `${phone.slice(0, 4)}***${phone.slice(-2)}`;
}
