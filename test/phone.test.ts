// Phone numbers: every spelling of one subscriber's number is one E.164 number, so one hash (one
// language, one quota, one subscription); what is not a phone number is told apart (issue 16 item 3).
import { describe, expect, it } from 'vitest';
import { createPhoneKeys, hashPhone, toE164 } from '../src/phone.ts';

describe('toE164', () => {
  it.each([
    ['E.164', '+254711000202', '+254711000202'],
    ['no plus', '254711000202', '+254711000202'],
    ['national, with the trunk 0', '0711000202', '+254711000202'],
    ['with dashes', '+254-711-000-202', '+254711000202'],
    ['with spaces', '+254 711 000 202', '+254711000202'],
    ['in brackets', '(+254) 711-000-202', '+254711000202'],
    ['a "+" that form decoding made a space', ' 254711000202', '+254711000202'],
    ['another country, in E.164', '+255712345678', '+255712345678'],
    ['a tel: URI', 'tel:+254711000202', '+254711000202'],
  ])('%s: %j → %j', (_name, raw, e164) => {
    expect(toE164(raw, 'KE')).toBe(e164);
  });

  it('reads a national number in the configured country', () => {
    expect(toE164('0712345678', 'TZ')).toBe('+255712345678');
  });

  it.each(['abc', '', '+', '++254', '*', '+254711XXXYYY', '+2547110000011234567890123', '+999123'])(
    'is null for what is not a phone number: %j',
    (raw) => {
      expect(toE164(raw, 'KE')).toBeNull();
    },
  );
});

describe('createPhoneKeys', () => {
  const keys = createPhoneKeys({ secret: 'test-secret-0123456789', defaultCountry: 'KE' });

  it('gives every spelling of a number the hash of its E.164 form', () => {
    const spellings = ['+254711000202', '254711000202', '0711000202', '+254-711-000-202'];
    const found = spellings.map((s) => keys(s));
    expect(new Set(found.map((k) => k?.hash))).toEqual(
      new Set([hashPhone('+254711000202', 'test-secret-0123456789')]),
    );
    expect(found.every((k) => k?.e164 === '+254711000202')).toBe(true);
  });

  it('is null for what is not a phone number, every time', () => {
    expect(keys('abc')).toBeNull();
    expect(keys('abc')).toBeNull();
  });

  it('stays correct past its cache size', () => {
    for (let i = 0; i < 10_000; i++) keys(`+2547${String(i).padStart(8, '0')}`);
    expect(keys('0711000202')?.hash).toBe(hashPhone('+254711000202', 'test-secret-0123456789'));
    expect(keys('+254700000042')?.e164).toBe('+254700000042');
  });
});
