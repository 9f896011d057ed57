// The text of an answer's SMS (issue 13 §4): the whole answer, not the screens, cleaned to GSM-7
// (one curly quote would make it UCS-2: 67 characters a part instead of 153) and fitted into at
// most `maxParts` parts, cut at a sentence where it must be cut. Pure.
import { fitText } from '../screen/fit.ts';
import { septets, toGsm } from '../screen/gsm7.ts';

/** GSM-7 septets of one SMS alone, and of each part of a concatenated one (the header takes 7). */
export const SINGLE_SMS_SEPTETS = 160;
export const PART_SEPTETS = 153;

/** Septets `maxParts` parts hold. */
export function smsCapacity(maxParts: number): number {
  return maxParts <= 1 ? SINGLE_SMS_SEPTETS : maxParts * PART_SEPTETS;
}

/**
 * Parts a GSM-7 text takes: one up to 160 septets, else 153 per part, an escaped character (2
 * septets) never split between two parts.
 */
export function smsParts(text: string): number {
  if (septets(text) <= SINGLE_SMS_SEPTETS) return 1;
  let parts = 1;
  let used = 0;
  for (const ch of text) {
    const cost = septets(ch);
    if (used + cost > PART_SEPTETS) {
      parts += 1;
      used = 0;
    }
    used += cost;
  }
  return parts;
}

/**
 * `template` ({question}, {answer}) filled and fitted: the answer is what gets cut, at a sentence
 * when one ends in the last 40 % of what fits, else at a word with "...".
 */
export function composeSms(
  template: string,
  vars: { question: string; answer: string },
  maxParts: number,
): string {
  const question = toGsm(vars.question.replace(/\s+/g, ' ').trim()).slice(0, 160);
  const fill = (answer: string) => template.replaceAll('{question}', question).replaceAll('{answer}', answer);
  const answer = toGsm(vars.answer.replace(/\s+/g, ' ').trim());
  const whole = fill(answer);
  if (smsParts(whole) <= maxParts) return whole;
  // Shrink the answer's budget until the whole message fits (escaped characters at a part's
  // edge can cost a septet or two more than the plain count).
  let budget = smsCapacity(maxParts) - septets(fill(''));
  for (;;) {
    const text = fill(fitText(answer, Math.max(0, budget)));
    if (smsParts(text) <= maxParts || budget <= 0) return text;
    budget -= 2;
  }
}
