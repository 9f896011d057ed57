// The rows waiting to be written, capped in bytes (issue 15 item 9: capped in rows, 8 KB question
// hops on a full disk grew the process from 94 MB to 1.7 GB). Past the cap the least valuable
// rows go first, newest first within a kind (each push is O(1)): hop rows, then session ends,
// SMS delivery reports, feedback, tier events; questions (and how their answers were delivered)
// and SMS sent are never shed, nor anything of money or subscriptions (those are records, written
// before the user is told: src/records/). When only rows that are never shed
// are left, the queue holds them past its cap and says so (overCap).
// One batch at a time is out to the writer: taken, then committed (written) or released (failed,
// kept in order for the retry). Pure: no I/O, no clock, no logging.
import type { LogItem } from './statements.ts';

type Kind = LogItem['kind'];

/**
 * How much a kind is worth keeping when memory runs out, lowest shed first; null: never shed.
 * A new row kind must be placed here (the type requires it).
 */
export const SHED_RANK: Readonly<Record<Kind, number | null>> = {
  hop: 0,
  'session-end': 1,
  // AT's delivery report of an SMS: a status on a row already written.
  'sms-report': 2,
  feedback: 3,
  tier: 4,
  question: null,
  // How a question's answer reached its asker: part of the question's record.
  delivery: null,
  // An SMS sent, and paid for.
  sms: null,
};

/** What one queued row costs beyond its strings: the object, its slot, the row object (measured ~). */
const ROW_OVERHEAD_BYTES = 160;

/** The bytes a row holds in memory, estimated from its strings (one byte a character) and fields. */
export function rowBytes(item: LogItem): number {
  let bytes = ROW_OVERHEAD_BYTES;
  const row = item.row as unknown as Record<string, unknown>;
  for (const key in row) {
    const value = row[key];
    bytes += typeof value === 'string' ? value.length + 16 : 8;
  }
  return bytes;
}

interface Lane {
  kind: Kind;
  items: LogItem[];
  sizes: number[];
  /** The first `inFlight` items are out to the writer. */
  inFlight: number;
}

export interface Batch {
  items: LogItem[];
  /** Items taken per lane, in lane order. */
  taken: number[];
}

export interface RowQueue {
  /** Queues the row, then sheds past the cap; returns the rows shed by this push, by kind. */
  push(item: LogItem): Partial<Record<Kind, number>> | null;
  /** Up to `max` rows, the most valuable kinds first, each kind in arrival order. */
  take(max: number): Batch;
  /** The batch was written: its rows leave the queue. */
  commit(batch: Batch): void;
  /** The batch failed: its rows stay, in order, for the next try. */
  release(batch: Batch): void;
  readonly length: number;
  readonly bytes: number;
  /** Over the cap with nothing left that may be shed. */
  readonly overCap: boolean;
  /** Empties the queue; returns how many rows it held. */
  clear(): number;
}

export function createRowQueue(maxBytes: number): RowQueue {
  const kinds = (Object.keys(SHED_RANK) as Kind[]).sort(
    (a, b) => (SHED_RANK[b] ?? Number.POSITIVE_INFINITY) - (SHED_RANK[a] ?? Number.POSITIVE_INFINITY),
  );
  // Lanes in writing order (never shed first); shedding walks them backwards.
  const lanes: Lane[] = kinds.map((kind) => ({ kind, items: [], sizes: [], inFlight: 0 }));
  const byKind = new Map(lanes.map((l) => [l.kind, l]));
  let length = 0;
  let bytes = 0;

  function shed(): Partial<Record<Kind, number>> | null {
    let counts: Partial<Record<Kind, number>> | null = null;
    for (let i = lanes.length - 1; i >= 0 && bytes > maxBytes; i--) {
      const lane = lanes[i] as Lane;
      if (SHED_RANK[lane.kind] === null) break;
      while (bytes > maxBytes && lane.items.length > lane.inFlight) {
        lane.items.pop();
        bytes -= lane.sizes.pop() ?? 0;
        length--;
        counts ??= {};
        counts[lane.kind] = (counts[lane.kind] ?? 0) + 1;
      }
    }
    return counts;
  }

  return {
    push(item) {
      const lane = byKind.get(item.kind) as Lane;
      const size = rowBytes(item);
      lane.items.push(item);
      lane.sizes.push(size);
      length++;
      bytes += size;
      return bytes > maxBytes ? shed() : null;
    },
    take(max) {
      const items: LogItem[] = [];
      const taken = lanes.map((lane) => {
        const n = Math.min(max - items.length, lane.items.length - lane.inFlight);
        for (let i = 0; i < n; i++) items.push(lane.items[lane.inFlight + i] as LogItem);
        lane.inFlight += n;
        return n;
      });
      return { items, taken };
    },
    commit(batch) {
      batch.taken.forEach((n, i) => {
        const lane = lanes[i] as Lane;
        lane.items.splice(0, n);
        for (const size of lane.sizes.splice(0, n)) bytes -= size;
        lane.inFlight -= n;
        length -= n;
      });
    },
    release(batch) {
      batch.taken.forEach((n, i) => {
        (lanes[i] as Lane).inFlight -= n;
      });
    },
    get length() {
      return length;
    },
    get bytes() {
      return bytes;
    },
    get overCap() {
      return bytes > maxBytes;
    },
    clear() {
      const n = length;
      for (const lane of lanes) {
        lane.items = [];
        lane.sizes = [];
        lane.inFlight = 0;
      }
      length = 0;
      bytes = 0;
      return n;
    },
  };
}
