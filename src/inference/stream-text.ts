// The text of an answer as it streams in, cleaned incrementally (issue 15 item 10): each piece of
// raw text is cleaned once, in segments of a line of at most SEGMENT characters cut at a space,
// so a chunk costs what it brings, never the whole text so far (re-cleaning everything per chunk
// was quadratic: a 2.1 MB stream stalled hops for seconds). The raw text is capped: past
// `maxChars` the stream is refused. Cleaning rules are screen/fit.ts cleanAnswer's, per segment.
// Pure apart from its own state.
import { cleanAnswer } from '../screen/fit.ts';

/** Raw characters of a line cleaned at once; a longer line is cut at its last space before. */
const SEGMENT = 256;

export interface StreamText {
  /** Adds raw text; false when the cap was reached (what fitted was kept; stop reading). */
  push(raw: string): boolean;
  /** The text so far, the word still being written held back ("2." may become "2.5"). */
  partial(): string;
  /** The finished text; cut by num_predict ('length') it ends at a sentence or with "...". */
  final(reason: string): string;
  /** Raw characters taken. */
  readonly length: number;
}

export function createStreamText(maxChars: number = Number.POSITIVE_INFINITY): StreamText {
  /** Cleaned text of the lines and segments already complete. */
  let head = '';
  /** A line ended: the next text starts a new sentence (cleanAnswer joins lines so). */
  let lineBreak = false;
  /** Raw text of the current line not yet cleaned, and whether it starts the line. */
  let line = '';
  let lineStart = true;
  let taken = 0;

  const append = (cleaned: string) => {
    if (cleaned === '') return;
    if (head === '') head = cleaned;
    else head = `${head}${lineBreak && !/[.!?:;,]$/.test(head) ? '.' : ''} ${cleaned}`;
    lineBreak = false;
  };

  /** Cleans a piece of a line: markdown's line-start rules only where the line starts. */
  const clean = (piece: string, atStart: boolean) =>
    atStart ? cleanAnswer(piece) : cleanAnswer(`x${piece}`).slice(1).trimStart();

  const settle = () => {
    for (;;) {
      const nl = line.indexOf('\n');
      if (nl >= 0) {
        append(clean(line.slice(0, nl), lineStart));
        if (head !== '') lineBreak = true;
        line = line.slice(nl + 1);
        lineStart = true;
        continue;
      }
      if (line.length <= SEGMENT) return;
      const cut = line.lastIndexOf(' ', SEGMENT);
      if (cut <= 0) {
        // A "word" longer than a segment: cut it hard, it is no word anyone can read.
        append(clean(line.slice(0, SEGMENT), lineStart));
        line = line.slice(SEGMENT);
      } else {
        append(clean(line.slice(0, cut), lineStart));
        line = line.slice(cut);
      }
      lineStart = false;
    }
  };

  const withTail = (tail: string) => {
    const cleaned = clean(tail, lineStart);
    if (cleaned === '') return head;
    if (head === '') return cleaned;
    return `${head}${lineBreak && !/[.!?:;,]$/.test(head) ? '.' : ''} ${cleaned}`;
  };

  return {
    push(raw) {
      const room = maxChars - taken;
      const piece = raw.length > room ? raw.slice(0, Math.max(0, room)) : raw;
      taken += piece.length;
      line += piece;
      settle();
      return raw.length <= room;
    },
    partial() {
      const word = /\S+$/.exec(line);
      return withTail(word ? line.slice(0, word.index) : line);
    },
    final(reason) {
      const whole = withTail(line);
      if (reason !== 'length' || whole === '' || /[.!?]$/.test(whole)) return whole;
      const text = this.partial() || whole;
      let end = -1;
      for (const m of text.matchAll(/[.!?](?=\s)/g)) end = m.index + 1;
      return end >= text.length * 0.6 ? text.slice(0, end) : `${text.replace(/[\s,;:-]+$/, '')}...`;
    },
    get length() {
      return taken;
    },
  };
}
