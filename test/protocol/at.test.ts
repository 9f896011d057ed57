// The AT protocol edge: parsing the hop form, the new input of a hop, and formatReply — the last
// guard that every body is valid on a phone, whatever reaches it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatReply, newInput, parseHop } from '../../src/protocol/at.ts';
import { parseSessionEnd } from '../../src/protocol/events.ts';
import { isGsm, septets } from '../../src/screen/gsm7.ts';

const form = (fields: Record<string, string>) => new URLSearchParams(fields);
const BASE = { sessionId: 'ATUid_1', serviceCode: '*384*123#', phoneNumber: '+254711000001' };

describe('parseHop', () => {
  it.each([
    ['%2B arrives as +', 'sessionId=a&serviceCode=x&phoneNumber=%2B254711000001', '+254711000001'],
    [
      'a raw + decoded as a space is restored',
      'sessionId=a&serviceCode=x&phoneNumber=+254711000001',
      '+254711000001',
    ],
    [
      'spaces and dashes are dropped',
      'sessionId=a&serviceCode=x&phoneNumber=%2B254 711-000-001',
      '+254711000001',
    ],
  ])('%s', (_name, body, phone) => {
    const r = parseHop(new URLSearchParams(body));
    expect(r.ok && r.value.phoneNumber).toBe(phone);
  });

  it('treats a missing text as the first hop and strips control characters', () => {
    const r = parseHop(form(BASE));
    expect(r.ok && r.value.text).toBe('');
    const s = parseHop(form({ ...BASE, text: '1*a\u0000b\u001bc' }));
    expect(s.ok && s.value.text).toBe('1*abc');
  });

  it('keeps a non-numeric networkCode and drops an empty one', () => {
    const r = parseHop(form({ ...BASE, networkCode: 'Athena' }));
    expect(r.ok && r.value.networkCode).toBe('Athena');
    const s = parseHop(form({ ...BASE, networkCode: '' }));
    expect(s.ok && 'networkCode' in s.value).toBe(false);
  });

  it.each([
    [{ serviceCode: 'x', phoneNumber: '1' }, 'missing field: sessionId'],
    [{ sessionId: 'a' }, 'missing fields: serviceCode, phoneNumber'],
    [{ ...BASE, sessionId: 'x'.repeat(200) }, 'field too long: sessionId'],
  ])('rejects %j', (fields, message) => {
    expect(parseHop(form(fields as Record<string, string>))).toEqual({ ok: false, status: 400, message });
  });
});

describe('newInput: what text adds to the previous hop', () => {
  it.each([
    ['', '1', '1'],
    ['1', '1*what is 2*3', 'what is 2*3'],
    ['1*2', '1*2*', ''],
    ['1*2', '1*3', null],
    ['1*2', '1*2', null],
  ])('%j then %j → %j', (previous, text, expected) => {
    expect(newInput(previous, text)).toBe(expected);
  });
});

describe('formatReply', () => {
  it('prefixes exactly once and trims lines', () => {
    expect(formatReply({ kind: 'CON', text: '  Hello\n   1. Yes  \n' })).toBe('CON Hello\n1. Yes');
    expect(formatReply({ kind: 'END', text: '' })).toBe('END Thank you.');
  });

  it('turns anything into a screen valid on a phone', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'CON' | 'END'>('CON', 'END'),
        fc.string({ unit: 'binary', maxLength: 600 }),
        (kind, text) => {
          const body = formatReply({ kind, text });
          expect(body.startsWith(`${kind} `)).toBe(true);
          const screen = body.slice(4);
          expect(screen.length).toBeGreaterThan(0);
          expect(isGsm(screen)).toBe(true);
          expect(septets(screen)).toBeLessThanOrEqual(182);
          expect(screen).not.toContain('\r');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseSessionEnd', () => {
  it('keeps the raw fields and parses numbers leniently', () => {
    const r = parseSessionEnd(
      form({ sessionId: 'a', cost: 'KES 0.10', durationInMillis: '12345', hopsCount: 'x', extra: 'y' }),
    );
    expect(r).toMatchObject({
      sessionId: 'a',
      costAmount: 0.1,
      costCurrency: 'KES',
      durationMs: 12345,
      hopsCount: null,
    });
    expect('raw' in r && r.raw['extra']).toBe('y');
    expect(parseSessionEnd(form({ status: 'Success' }))).toEqual({ error: 'missing field: sessionId' });
  });
});
