// The value types the config's variables are parsed as (config.ts builds its schema from them).
// It must not read process.env nor name any variable: each section's file does.
import { z } from 'zod';
import { invalidEntries } from '../protocol/address.ts';

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));
export const url = (protocols: string[]) =>
  z
    .string()
    .url('must be a URL')
    .refine(
      (v) => URL.canParse(v) && protocols.includes(new URL(v).protocol),
      `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
export const optionalSecret = (min: number) =>
  z
    .string()
    .min(min, `must be at least ${min} characters`)
    .or(z.literal('').transform(() => undefined))
    .optional();

export const addressList = z.string().transform((v, ctx): readonly string[] => {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const invalid = invalidEntries(list);
  if (invalid.length > 0)
    ctx.addIssue({ code: 'custom', message: `not an address or CIDR range: ${invalid.join(', ')}` });
  return list;
});
export const optionalText = z
  .string()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
