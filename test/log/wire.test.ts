// A batch as posted to the SQLite worker (log/wire.ts): hop rows flattened and rebuilt equal,
// optional fields absent or present, other kinds untouched.
import { describe, expect, it } from 'vitest';
import type { LogItem } from '../../src/log/statements.ts';
import { decodeBatch, encodeBatch } from '../../src/log/wire.ts';
import { feedback, hop, question } from './fixtures.ts';

describe('the log batch on the wire', () => {
  it('comes back equal: other kinds first, then the hops, each in order', () => {
    const bare = hop({ text: 'a' });
    delete bare.networkCode;
    const items: LogItem[] = [
      { kind: 'hop', row: hop({ text: '1', phone: '+254711000001', input: '1' }) },
      { kind: 'question', row: question() },
      { kind: 'hop', row: bare },
      { kind: 'feedback', row: feedback() },
    ];
    const back = decodeBatch(structuredClone(encodeBatch(items)));
    expect(back).toEqual([items[1], items[3], items[0], items[2]]);
    expect('networkCode' in (back[3] as { row: object }).row).toBe(false);
    expect('phone' in (back[3] as { row: object }).row).toBe(false);
  });
});
