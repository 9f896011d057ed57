// A phone's cached profile as the session drivers store it: flat string fields (a Redis hash, the
// memory driver's map), the latest payment as JSON (issue 14). One mapping for both drivers and
// every write (a commit, a fill from the records store), so a field cannot be dropped by one.
import type { PaymentNotice, PhoneProfile } from '../types.ts';

/** The fields to write for `profile`, as [name, value, name, value, …]. */
export function profileFields(profile: PhoneProfile | null | undefined): string[] {
  const fields: string[] = [];
  if (!profile) return fields;
  if (profile.lang !== undefined) fields.push('lang', profile.lang);
  if (profile.subscribedUntil !== undefined) fields.push('subscribedUntil', String(profile.subscribedUntil));
  if (profile.payment !== undefined) fields.push('payment', JSON.stringify(profile.payment));
  if (profile.paymentSeen !== undefined) fields.push('paymentSeen', profile.paymentSeen);
  return fields;
}

/** The profile from its stored fields (absent ones are null or undefined); what cannot be read is left out. */
export function profileFrom(f: {
  lang?: unknown;
  subscribedUntil?: unknown;
  payment?: unknown;
  paymentSeen?: unknown;
}): PhoneProfile {
  const profile: PhoneProfile = {};
  if (typeof f.lang === 'string') profile.lang = f.lang;
  const until = Number(f.subscribedUntil);
  if (f.subscribedUntil !== null && f.subscribedUntil !== undefined && Number.isFinite(until))
    profile.subscribedUntil = until;
  if (typeof f.payment === 'string') {
    try {
      const p = JSON.parse(f.payment) as PaymentNotice;
      if (typeof p?.id === 'string' && typeof p.status === 'string') profile.payment = p;
    } catch {
      // A cache entry that is not JSON is a miss of that field; the records store has it.
    }
  }
  if (typeof f.paymentSeen === 'string') profile.paymentSeen = f.paymentSeen;
  return profile;
}
