// Hostile input for the fault suite's fuzzer (issue 8), as fast-check arbitraries: AT's form
// fields filled with control characters, lone surrogates, thousands of characters, session ids
// built to leave their Redis key prefix and phone numbers in odd formats; raw bodies with invalid
// UTF-8 and broken percent-escapes; and odd methods, paths and content types. Data only.
import fc from 'fast-check';

const WEIRD = [
  '',
  ' ',
  '\u0000',
  '\u0007\u0008',
  '\u001b[31mred',
  '\r\n',
  '%',
  '%ZZ',
  '%00',
  '*',
  '**',
  '#',
  '../..',
  '$' + '{x}', // a template placeholder, as text
  '{{x}}',
  '<script>alert(1)</script>',
  "'; DROP TABLE hops; --",
  '\uFEFF',
  '\uD800',
  'é',
  '😀',
  '٣٤',
];
const BAD_PERCENT = [
  '%',
  '%Z',
  '%ZZ',
  '%E0%A4',
  '%FF%FE',
  '%C0%AF',
  '%ED%A0%80',
  '%00',
  '%%',
  '%2',
  '%u0041',
];

const keypresses = fc.string({
  unit: fc.constantFrom('0', '1', '2', '3', '4', '8', '9', '*', '#'),
  maxLength: 40,
});
const anyText = fc.oneof(
  fc.constantFrom(...WEIRD),
  keypresses,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ maxLength: 3000 }),
  fc.nat(7000).map((n) => `1*${'a'.repeat(n)}`),
);
const sessionId = fc.oneof(
  fc.constantFrom(
    'ATUid_0123456789abcdef',
    '../../etc/passwd',
    'ussd:lease:x',
    'x\r\nFLUSHALL\r\n',
    '*',
    ':',
    '{slot}',
    'a b',
    's:victim',
    '..',
    '.',
    '%2F',
    'A'.repeat(128),
    'A'.repeat(129),
    '\u0000',
  ),
  fc.string({ unit: 'binary', maxLength: 150 }),
  fc.uuid(),
);
const phone = fc.oneof(
  fc.constantFrom(
    '+254711000001',
    '254711000001',
    '0711000001',
    '+254 711 000 001',
    ' 254711000001',
    '(+254) 711-000-001',
    '+',
    '++254',
    '+2547110000011234567890123',
    'abc',
    '٠٧١١٠٠٠٠٠١',
    '+254711000001\u0000',
    'tel:+254711000001',
    '*',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^\+?[0-9 ()-]{0,30}$/),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 8 });
export const form = fc.record({
  sessionId: maybe(sessionId),
  serviceCode: maybe(fc.oneof(fc.constant('*384*123#'), anyText)),
  phoneNumber: maybe(phone),
  networkCode: maybe(fc.oneof(fc.constantFrom('63902', 'Safaricom'), anyText)),
  text: maybe(anyText),
  /** Unknown fields and repeats of known ones, after the known ones. */
  extra: fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('sessionId', 'text', 'phoneNumber', 'serviceCode', '__proto__', 'constructor'),
        fc.string({ maxLength: 20 }),
      ),
      anyText,
    ),
    { maxLength: 4 },
  ),
});
export type Form = typeof form extends fc.Arbitrary<infer F> ? F : never;

export function encode(f: Form): string {
  const params = new URLSearchParams();
  for (const key of ['sessionId', 'serviceCode', 'phoneNumber', 'networkCode', 'text'] as const) {
    const value = f[key];
    if (value !== undefined) params.append(key, value);
  }
  for (const [k, v] of f.extra) params.append(k, v);
  return params.toString();
}

/** A form whose values carry raw bytes (invalid UTF-8) and broken percent-escapes. */
export const rawBody = fc.oneof(
  fc
    .tuple(
      fc.uint8Array({ maxLength: 1500 }),
      fc.constantFrom(...BAD_PERCENT),
      fc.constantFrom(...BAD_PERCENT),
    )
    .map(([bytes, a, b]) =>
      Buffer.concat([
        Buffer.from(
          `sessionId=raw-${a.length}&serviceCode=*384*123%23&phoneNumber=%2B254711000009&text=1*${a}`,
        ),
        Buffer.from(bytes),
        Buffer.from(`&networkCode=${b}&sessionId=${b}`),
      ]),
    ),
  fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
);

const METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST'];
const TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=ISO-8859-1',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'application/xml',
  '',
];
export const request = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.constantFrom('/ussd', '/ussd/events', '/ussd/', '/USSD', '/ussd?x=1', '/ussd/x/y'),
  type: fc.constantFrom(...TYPES),
  body: fc.oneof(
    form.map(encode),
    fc.json(),
    fc.constant('--xyz\r\nContent-Disposition: form-data; name="sessionId"\r\n\r\nabc\r\n--xyz--'),
    fc.string({ unit: 'binary', maxLength: 500 }),
  ),
});
