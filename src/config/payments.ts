// The config's SMS and payments sections (issue 14; shared/research/sms-payments.md §2.2): the
// payment mode and Daraja's variables, Africa's Talking's SMS credentials; and the rules that
// hold only with PAYMENTS_MODE=mpesa. It must not read process.env: config.ts hands it the values.
import { z } from 'zod';
import { ACCOUNT_REFERENCE_MAX, priceAmount } from '../payments/daraja-wire.ts';
import { addressList, int, optionalSecret, url } from './fields.ts';

const CALLBACK_URL_RULE =
  'must be the public https:// URL Daraja calls, ending in a secret path segment of at least 16 letters, digits, - or _ (e.g. https://gw.example.org/mpesa/callback/<secret>)';

/** How a subscription is paid for. */
export const PAYMENT_FIELDS = {
  // Payments (issue 14; shared/research/sms-payments.md §2.2). `intent`: accepting the offer is
  // recorded and unlocks the quota, no money moves; `mpesa`: an M-Pesa STK push through Daraja.
  PAYMENTS_MODE: z.enum(['intent', 'mpesa']).default('intent'),
  MPESA_CONSUMER_KEY: z.string().default(''),
  MPESA_CONSUMER_SECRET: z.string().default(''),
  MPESA_SHORTCODE: z
    .string()
    .regex(/^(\d{5,7})?$/, 'must be the 5-7 digit paybill or store number')
    .default(''),
  MPESA_PASSKEY: z.string().default(''),
  MPESA_CALLBACK_URL: z
    .string()
    .refine((v) => v === '' || callbackSecret(v) !== null, CALLBACK_URL_RULE)
    .default(''),
  MPESA_API_URL: url(['https:', 'http:']).default('https://api.safaricom.co.ke'),
  MPESA_TRANSACTION_TYPE: z
    .enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'])
    .default('CustomerPayBillOnline'),
  MPESA_PARTY_B: z
    .string()
    .regex(/^(\d{5,7})?$/, 'must be the 5-7 digit number that receives the money')
    .default(''),
  MPESA_ACCOUNT_REFERENCE: z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9 ]{1,${ACCOUNT_REFERENCE_MAX}}$`),
      `${ACCOUNT_REFERENCE_MAX} letters, digits or spaces at most (Daraja's AccountReference)`,
    )
    .default('Ask'),
  MPESA_ALLOWED_IPS: addressList.default([]),
  MPESA_QUERY_AFTER_SECONDS: int(5, 3600).default(120),
};

/** Africa's Talking's SMS, for answers that come after the session. */
export const SMS_FIELDS = {
  AT_USERNAME: z
    .string()
    .max(100)
    .transform((v) => v.trim() || undefined)
    .optional(),
  AT_API_KEY: optionalSecret(8),
  AT_SMS_FROM: z
    .string()
    .max(20)
    .transform((v) => v.trim() || undefined)
    .optional(),
  AT_API_URL: url(['http:', 'https:'])
    .optional()
    .or(z.literal('').transform(() => undefined)),
  SMS_MAX_PARTS: int(1, 10).default(3),
};

/**
 * The secret at the end of MPESA_CALLBACK_URL's path (Daraja signs nothing, so its callback is
 * protected as AT's are: by a secret in the URL), or null when the URL has none. http:// only to
 * a loopback address, for a local test against a fake Daraja.
 */
export function callbackSecret(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const u = new URL(value);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) return null;
  if (u.search !== '' || u.hash !== '') return null;
  const last = u.pathname.split('/').at(-1) ?? '';
  return /^[A-Za-z0-9_-]{16,}$/.test(last) ? last : null;
}

/**
 * With PAYMENTS_MODE=mpesa: the variables Daraja needs, and a price in whole shillings. `shape`:
 * the whole schema's (config.ts), so that only the config's own variables are read from `env`.
 */
export function paymentProblems(env: Record<string, string | undefined>, shape: object): string[] {
  if (env['PAYMENTS_MODE'] !== 'mpesa') return [];
  const data = {
    SUBSCRIPTION_PRICE: 'KES 20',
    MPESA_TRANSACTION_TYPE: 'CustomerPayBillOnline',
    ...Object.fromEntries(Object.entries(env).filter(([k]) => k in shape)),
  } as Record<string, string | undefined>;
  const problems: string[] = [];
  const required = [
    'MPESA_CONSUMER_KEY',
    'MPESA_CONSUMER_SECRET',
    'MPESA_SHORTCODE',
    'MPESA_PASSKEY',
    'MPESA_CALLBACK_URL',
  ] as const;
  for (const name of required) {
    if (!data[name]) problems.push(`${name}="": required with PAYMENTS_MODE=mpesa`);
  }
  const price = data['SUBSCRIPTION_PRICE'] ?? '';
  if (priceAmount(price) === null)
    problems.push(
      `SUBSCRIPTION_PRICE=${JSON.stringify(price)}: with PAYMENTS_MODE=mpesa it must be whole shillings, 1 to 250000 (e.g. "KES 20")`,
    );
  if (data['MPESA_TRANSACTION_TYPE'] === 'CustomerBuyGoodsOnline' && !data['MPESA_PARTY_B'])
    problems.push('MPESA_PARTY_B="": the till number is required with CustomerBuyGoodsOnline');
  return problems;
}
