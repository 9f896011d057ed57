// A batch of log rows as it is posted to the SQLite worker thread (sqlite.ts → connection.ts):
// hop rows, nearly all of them, as one flat array of their values; other kinds as they are.
// Structured cloning copies each object's keys with its values: an array of 500 hop objects took
// ~4.5 µs a row to clone and rebuild, the same values flat ~1.3 µs (issue 15 item 8, measured on
// this box), and the main thread pays the cloning. Pure.
import type { LogItem } from './statements.ts';
import type { HopRow } from './types.ts';

export interface WireBatch {
  /** HOP_FIELDS values per hop row, in that order (absent optional fields as null). */
  hops: (string | number | null)[];
  others: LogItem[];
}

const HOP_FIELDS = 14;

export function encodeBatch(items: readonly LogItem[]): WireBatch {
  const hops: (string | number | null)[] = [];
  const others: LogItem[] = [];
  for (const item of items) {
    if (item.kind !== 'hop') {
      others.push(item);
      continue;
    }
    const r = item.row;
    hops.push(
      r.at,
      r.sessionId,
      r.phoneHash,
      r.phone ?? null,
      r.serviceCode,
      r.networkCode ?? null,
      r.input,
      r.text,
      r.screen,
      r.lang,
      r.replyKind,
      r.reply,
      r.latencyMs,
      r.outcome,
    );
  }
  return { hops, others };
}

/** The rows again: the other kinds first, then the hops, each in the order encoded. */
export function decodeBatch(batch: WireBatch): LogItem[] {
  const items = batch.others.slice();
  const v = batch.hops;
  for (let i = 0; i + HOP_FIELDS <= v.length; i += HOP_FIELDS) {
    const row = {
      at: v[i],
      sessionId: v[i + 1],
      phoneHash: v[i + 2],
      serviceCode: v[i + 4],
      input: v[i + 6],
      text: v[i + 7],
      screen: v[i + 8],
      lang: v[i + 9],
      replyKind: v[i + 10],
      reply: v[i + 11],
      latencyMs: v[i + 12],
      outcome: v[i + 13],
    } as HopRow;
    if (v[i + 3] !== null) row.phone = v[i + 3] as string;
    if (v[i + 5] !== null) row.networkCode = v[i + 5] as string;
    items.push({ kind: 'hop', row });
  }
  return items;
}
