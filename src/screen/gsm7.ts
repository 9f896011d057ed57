// GSM 03.38 (GSM-7) character set: what a feature phone shows on a 182-septet USSD screen.
// One character outside it turns the whole screen into UCS-2 and cuts it to ~80 characters
// (shared/research/inference.md §4.1), so everything we send passes through toGsm().
// Pure: no I/O.

/** The basic table: one septet each (3GPP TS 23.038 §6.2.1). */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The extension table: an escape plus the character, two septets each. */
const EXTENSION = '\f^{}\\[~]|€';

const ONE = new Set(BASIC);
const TWO = new Set(EXTENSION);

/** Look-alikes that have a GSM-7 spelling. Everything else non-GSM is folded or dropped. */
const REPLACEMENTS: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201B': "'",
  '\u2032': "'",
  '`': "'",
  '\u00B4': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u201F': '"',
  '\u2033': '"',
  '\u00AB': '"',
  '\u00BB': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  '\u2026': '...',
  '\u00A0': ' ',
  '\u2007': ' ',
  '\u202F': ' ',
  '\t': ' ',
  '\u2022': '-',
  '\u00B7': '-',
  '\u00D7': 'x',
  '\u00F7': '/',
  '\u00E7': 'c',
  '\u00B0': ' deg',
  '\u00BD': '1/2',
  '\u00BC': '1/4',
  '\u00BE': '3/4',
  '\u2122': '(TM)',
  '\u00A9': '(c)',
  '\u00AE': '(R)',
  '\u2248': '~',
  '\u2264': '<=',
  '\u2265': '>=',
  '\u2260': '!=',
  '\u2192': '->',
  '\u2190': '<-',
  '\u00B2': '2',
  '\u00B3': '3',
  '\u00B9': '1',
};

export function isGsmChar(ch: string): boolean {
  return ONE.has(ch) || TWO.has(ch);
}

/** True when every character of `s` is GSM-7 (so the screen stays at 182 septets). */
export function isGsm(s: string): boolean {
  for (const ch of s) if (!isGsmChar(ch)) return false;
  return true;
}

/** Septets `s` costs on the air: extension characters count two. Assumes `s` is GSM-7. */
export function septets(s: string): number {
  let n = 0;
  for (const ch of s) n += TWO.has(ch) ? 2 : 1;
  return n;
}

/**
 * Rewrites any text into GSM-7: look-alike punctuation mapped, accents folded where the bare
 * letter is GSM-7 (é stays, ê becomes e), emoji and other symbols dropped, CR and FF removed.
 * Whitespace is left alone: callers collapse it to suit lines or paragraphs. `dropped` stands in
 * for each character dropped, for a caller that tidies the space around it.
 */
export function toGsm(input: string, dropped = ''): string {
  let out = '';
  for (const ch of input.normalize('NFC')) {
    if (ch === '\r' || ch === '\f') continue; // CR and FF break handset layouts
    if (isGsmChar(ch)) {
      out += ch;
      continue;
    }
    const mapped = REPLACEMENTS[ch];
    if (mapped !== undefined) {
      out += mapped;
      continue;
    }
    const folded = ch.normalize('NFD').replace(/\p{M}/gu, '');
    if (folded !== ch && folded.length > 0 && isGsm(folded)) out += folded;
    else if (/\s/u.test(ch)) out += ' ';
    else out += dropped; // anything else (emoji, CJK, control characters, lone surrogates)
  }
  return out;
}
