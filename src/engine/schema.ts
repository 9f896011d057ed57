// The shape of a menu file (menus/*.yaml), checked with zod. Cross-screen rules (every `next`
// exists, reachability, fitting the screen) live in validate.ts. Data only: no code or
// expression strings are allowed in YAML (house style).
import { z } from 'zod';

const text = z.record(
  z.string().regex(/^[a-z]{2,3}$/, 'language codes are 2-3 lower-case letters'),
  z.string(),
);
const screenId = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,40}$/, 'screen ids are lower-case letters, digits, - and _');
const key = z.string().regex(/^[0-9]{1,3}$/, 'keys are 1-3 digits');

// A closed list, not an expression: which phones see the option (menus are data, house style).
const showTo = z.enum(['free', 'subscribed'], {
  error: (issue) =>
    `showTo is free (hidden from a subscribed phone) or subscribed (shown only to one), not ${JSON.stringify(issue.input)}`,
});
const option = z.strictObject({
  key: key.optional(),
  label: text,
  next: screenId,
  showTo: showTo.optional(),
});
const languageOption = z.strictObject({ key: key.optional(), label: text, lang: z.string() });

const base = { text };
const screen = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('menu'),
    ...base,
    options: z.array(option).min(1),
    back: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('input'),
    ...base,
    save: z.string().regex(/^[a-z][a-z0-9_]{0,30}$/, 'lower-case letters, digits and _'),
    validate: z
      .strictObject({
        pattern: z
          .string()
          .refine((p) => isRegex(p), 'is not a valid regular expression')
          .optional(),
        minLength: z.number().int().min(0).optional(),
        maxLength: z.number().int().min(1).max(160).optional(),
        min: z.number().optional(),
        max: z.number().optional(),
      })
      .optional(),
    hint: text.optional(),
    next: screenId,
  }),
  z.strictObject({
    type: z.literal('ask'),
    ...base,
    whenQuotaUsed: screenId,
    afterRating: screenId,
    back: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('end'), ...base }),
  z.strictObject({
    type: z.literal('language'),
    ...base,
    options: z.array(languageOption).min(1),
    next: screenId,
    back: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('offer'),
    ...base,
    accept: text,
    decline: text,
    accepted: screenId,
    declined: screenId,
    back: z.boolean().optional(),
    whenSubscribed: screenId,
    paying: screenId.optional(),
    whenPending: screenId.optional(),
  }),
]);

const failures = z.strictObject({
  down: text,
  'model-missing': text,
  busy: text,
  error: text,
  empty: text,
  timeout: text,
  // Issue 13; optional so journeys written before it still load (load.ts gives defaults).
  waiting: text.optional(),
});

export const SYSTEM_TEXT_NAMES = [
  'invalid',
  'moreLine',
  'backLine',
  'answerMore',
  'answerLast',
  'thinking',
  'unlimited',
  'planFree',
  'planPaid',
  'answerGone',
  'error',
  'limited',
  'badNumber',
  'emptyQuestion',
] as const;

const paymentReasons = z.strictObject({
  cancelled: text,
  'no-answer': text,
  'wrong-pin': text,
  insufficient: text,
  other: text,
  expired: text,
});

/**
 * Texts of issue 13 (waiting, the next dial, SMS): optional in a journey file, defaults in load.ts.
 * They may use {minutes}, {question} and, in the SMS texts, {answer}.
 */
export const QUEUE_TEXT_NAMES = [
  'smsLater',
  'dialLater',
  'pendingOffer',
  'queuedBehind',
  'answerLastSms',
  'smsRequested',
  'smsAnswer',
  'smsFailed',
] as const;

const journey = z.strictObject({
  start: screenId,
  languages: z.array(z.string().regex(/^[a-z]{2,3}$/)).min(1),
  defaultLanguage: z.string(),
  languageNames: text,
  keys: z
    .strictObject({
      back: key.nullable().default('0'),
      home: key.nullable().default('00'),
      more: key.default('98'),
    })
    .default({ back: '0', home: '00', more: '98' }),
  texts: z.strictObject({
    ...Object.fromEntries(SYSTEM_TEXT_NAMES.map((n) => [n, text])),
    ...Object.fromEntries(QUEUE_TEXT_NAMES.map((n) => [n, text.optional()])),
    failure: failures,
    months: text.optional(),
    // Optional so journeys written before it still load (load.ts gives a default).
    planPending: text.optional(),
  } as Record<(typeof SYSTEM_TEXT_NAMES)[number], typeof text> &
    Record<(typeof QUEUE_TEXT_NAMES)[number], z.ZodOptional<typeof text>> & {
      failure: typeof failures;
      months: z.ZodOptional<typeof text>;
      planPending: z.ZodOptional<typeof text>;
    }),
  // Required with PAYMENTS_MODE=mpesa (validate.ts): the screens of a payment's outcome.
  payments: z
    .strictObject({ paid: screenId, failed: screenId, reasons: paymentReasons, receipt: text.optional() })
    .optional(),
});

export const MENU_FILE = z.strictObject({
  journey: journey.optional(),
  screens: z.record(screenId, screen).optional(),
});

export type MenuFile = z.infer<typeof MENU_FILE>;
export type RawScreen = z.infer<typeof screen>;
export type RawJourney = z.infer<typeof journey>;

function isRegex(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}
