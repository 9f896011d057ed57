// The journey's payment texts and screens (issue 14), checked with the rest at boot: with
// PAYMENTS_MODE=mpesa the journey names the screens a payment's outcome opens on, every reason is
// written, and the receipt SMS (optional) is GSM-7 with its own placeholders only. Pure.
import { isGsmChar } from '../screen/gsm7.ts';
import type { Journey, Text } from './types.ts';
import type { BusinessFacts } from './validate.ts';

type Add = (file: string, path: string, message: string) => void;

/** The placeholders of the receipt SMS (payments/settle.ts fills them). */
export const RECEIPT_PLACEHOLDERS = ['price', 'until', 'receipt'] as const;

export function checkPayments(
  journey: Journey,
  journeyFile: string,
  facts: BusinessFacts,
  add: Add,
  checkText: (file: string, path: string, text: Text | undefined) => void,
): void {
  const p = journey.payments;
  if (!p) {
    if (facts.payments === 'mpesa')
      add(journeyFile, 'journey.payments', 'required with PAYMENTS_MODE=mpesa: the paid and failed screens');
    return;
  }
  for (const field of ['paid', 'failed'] as const) {
    if (!journey.screens.has(p[field]))
      add(journeyFile, `journey.payments.${field}`, `no screen '${p[field]}'`);
  }
  for (const [name, text] of Object.entries(p.reasons))
    checkText(journeyFile, `journey.payments.reasons.${name}`, text);
  if (!p.receipt) return;
  for (const lang of journey.languages) {
    const path = `journey.payments.receipt.${lang}`;
    const value = p.receipt[lang];
    if (!value?.trim()) {
      add(journeyFile, path, `missing text for language '${lang}'`);
      continue;
    }
    const bad = [...new Set([...value].filter((c) => !isGsmChar(c)))];
    if (bad.length > 0) add(journeyFile, path, `not GSM-7: ${JSON.stringify(bad.join(''))}`);
    for (const m of value.matchAll(/\{([^}]*)\}/g)) {
      if (!(RECEIPT_PLACEHOLDERS as readonly string[]).includes(m[1] ?? ''))
        add(journeyFile, path, `unknown placeholder {${m[1]}}; known: {price} {until} {receipt}`);
    }
  }
}
