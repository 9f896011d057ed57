// An answer's SMS: GSM-7, at most SMS_MAX_PARTS parts (160 septets alone, 153 each when split,
// an escaped character never split), cut at a sentence where it must be cut.
import { SegmentedMessage } from 'sms-segments-calculator';
import { describe, expect, it } from 'vitest';
import { isGsm } from '../../src/screen/gsm7.ts';
import { composeSms, smsParts } from '../../src/sms/text.ts';

const SENTENCE = 'Sleep under a treated net every night, and see a health worker if a fever lasts. ';

describe('SMS text', () => {
  it.each([
    ['x'.repeat(160), 1],
    ['x'.repeat(161), 2],
    ['x'.repeat(306), 2],
    ['x'.repeat(307), 3],
    [`${'x'.repeat(159)}€`, 2],
    [`${'x'.repeat(152)}€${'x'.repeat(152)}`, 3], // the escape and its character stay in one part
  ])('%#: parts as a handset counts them', (text, parts) => {
    expect(smsParts(text)).toBe(parts);
  });

  it('keeps a short answer whole, cleaned to GSM-7', () => {
    const text = composeSms(
      'Q: {question}\nA: {answer}',
      { question: 'What is “malaria”?', answer: 'A fever — spread by mosquitoes…' },
      3,
    );
    expect(text).toBe('Q: What is "malaria"?\nA: A fever - spread by mosquitoes...');
    expect(isGsm(text)).toBe(true);
  });

  it.each([1, 2, 3, 5])(
    'a long answer fits %i part(s), cut at a sentence when one keeps most of it',
    (maxParts) => {
      const text = composeSms(
        'Q: {question}\nA: {answer}',
        { question: 'malaria?', answer: SENTENCE.repeat(20) },
        maxParts,
      );
      expect(smsParts(text)).toBeLessThanOrEqual(maxParts);
      // One part holds less than two sentences: a word cut with "..." keeps more of it.
      expect(text.endsWith(maxParts === 1 ? '...' : 'lasts.')).toBe(true);
      const oracle = new SegmentedMessage(text);
      expect(oracle.encodingName).toBe('GSM-7');
      expect(oracle.segmentsCount).toBeLessThanOrEqual(maxParts);
    },
  );
});
