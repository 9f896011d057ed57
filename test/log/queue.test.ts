// The log's queue, capped in bytes (issue 15 item 9): the least valuable rows are shed first, the
// newest of a kind first, never a question; a batch out to the writer is never shed, and is
// either committed (gone) or released (kept, in order, for the retry).
import { describe, expect, it } from 'vitest';
import { createRowQueue, rowBytes, SHED_RANK } from '../../src/log/queue.ts';
import type { LogItem } from '../../src/log/statements.ts';
import { feedback, hop, question, sessionEnd, tier } from './fixtures.ts';

const h = (text: string): LogItem => ({ kind: 'hop', row: hop({ text }) });
const q = (id: string, text = 'q'): LogItem => ({ kind: 'question', row: question({ id, question: text }) });
const texts = (items: LogItem[]) =>
  items.map((i) => (i.kind === 'hop' ? i.row.text : i.kind === 'question' ? i.row.id : i.kind));

describe('the log queue', () => {
  it('estimates a row by its strings: an 8 KB question hop counts 8 KB more', () => {
    expect(rowBytes(h('x'.repeat(8192))) - rowBytes(h(''))).toBe(8192);
  });

  it('sheds in the order of SHED_RANK: hops, session ends, …, feedback, tier events; never questions', () => {
    expect(SHED_RANK).toMatchObject({ hop: 0, 'session-end': 1, feedback: 3, tier: 4, question: null });
    const items: LogItem[] = [
      { kind: 'tier', row: tier() },
      { kind: 'feedback', row: feedback() },
      { kind: 'session-end', row: sessionEnd() },
      h('a'),
      q('q1'),
    ];
    const total = items.reduce((n, i) => n + rowBytes(i), 0);
    const shedAt = (cap: number) => {
      const queue = createRowQueue(cap);
      const shed: Record<string, number> = {};
      for (const item of items)
        for (const [kind, n] of Object.entries(queue.push(item) ?? {}))
          shed[kind] = (shed[kind] ?? 0) + (n ?? 0);
      return { shed, left: queue.take(10).items.map((i) => i.kind), overCap: queue.overCap };
    };
    expect(shedAt(total)).toEqual({
      shed: {},
      left: ['question', 'tier', 'feedback', 'session-end', 'hop'],
      overCap: false,
    });
    expect(shedAt(total - 1).shed).toEqual({ hop: 1 });
    expect(shedAt(total - rowBytes(h('a')) - 1).shed).toEqual({ hop: 1, 'session-end': 1 });
    expect(shedAt(1)).toEqual({
      shed: { hop: 1, 'session-end': 1, feedback: 1, tier: 1 },
      left: ['question'],
      overCap: true,
    });
  });

  it('sheds the newest rows of a kind, so those queued first are written first', () => {
    const queue = createRowQueue(3 * rowBytes(h('0')));
    for (const t of ['0', '1', '2', '3', '4']) queue.push(h(t));
    expect(texts(queue.take(10).items)).toEqual(['0', '1', '2']);
  });

  it('takes the most valuable kinds first, each in arrival order, up to the batch size', () => {
    const queue = createRowQueue(1e9);
    for (const item of [h('0'), q('q1'), h('1'), q('q2'), h('2')]) queue.push(item);
    const batch = queue.take(3);
    expect(texts(batch.items)).toEqual(['q1', 'q2', '0']);
    queue.commit(batch);
    expect(queue.length).toBe(2);
    expect(texts(queue.take(3).items)).toEqual(['1', '2']);
  });

  it('keeps a released batch in order for the retry, and never sheds a batch out to the writer', () => {
    const size = rowBytes(h('0'));
    const queue = createRowQueue(2 * size);
    queue.push(h('0'));
    queue.push(h('1'));
    const batch = queue.take(10);
    expect(queue.push(h('2'))).toEqual({ hop: 1 }); // the new row goes: the others are out
    expect(queue.push(q('q1'))).toEqual(null);
    expect(queue.overCap).toBe(true);
    queue.release(batch);
    expect(texts(queue.take(10).items)).toEqual(['q1', '0', '1']);
  });

  it('counts bytes down as batches are written, and clear() empties it', () => {
    const queue = createRowQueue(1e9);
    queue.push(h('abc'));
    queue.push(q('q1', 'x'.repeat(100)));
    expect(queue.bytes).toBe(rowBytes(h('abc')) + rowBytes(q('q1', 'x'.repeat(100))));
    queue.commit(queue.take(1));
    expect(queue.bytes).toBe(rowBytes(h('abc')));
    expect(queue.clear()).toBe(1);
    expect({ length: queue.length, bytes: queue.bytes }).toEqual({ length: 0, bytes: 0 });
  });
});
