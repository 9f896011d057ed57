// The in-process session driver's maps (memory.ts): entries that expire, checked on read and by a
// sweep, and optionally bounded by bytes, the oldest written dropped first (issue 15: expiry alone
// let 15,000 sessions of 7.9 KB text take RSS from 85 to 398 MB). Bytes are an estimate: what the
// caller's sizeOf says an entry costs, strings counted as one byte a character as V8 keeps ASCII.
export interface TtlMap<V> {
  get(key: string): V | undefined;
  set(key: string, value: V, ttlMs: number): void;
  /** Replaces a live entry's value, keeping its expiry (Redis's KEEPTTL). */
  replace(key: string, value: V): void;
  delete(key: string): void;
  sweep(): void;
  clear(): void;
  /** Entries held (some may have expired unread) and their estimated bytes. */
  usage(): { entries: number; bytes: number };
}

export interface TtlMapBound<V> {
  maxBytes: number;
  sizeOf(key: string, value: V): number;
}

export function createTtlMap<V>(now: () => number, bound?: TtlMapBound<V>): TtlMap<V> {
  // Insertion-ordered, and an entry set again is moved to the end: the first is the oldest written.
  const entries = new Map<string, { value: V; expiresAt: number; bytes: number }>();
  let bytes = 0;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    bytes -= entry.bytes;
    entries.delete(key);
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now()) {
        remove(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value, ttlMs) {
      remove(key);
      const size = bound ? bound.sizeOf(key, value) : 0;
      entries.set(key, { value, expiresAt: now() + ttlMs, bytes: size });
      bytes += size;
      if (bound === undefined) return;
      for (const oldest of entries.keys()) {
        if (bytes <= bound.maxBytes) break;
        remove(oldest);
      }
    },
    replace(key, value) {
      const entry = entries.get(key);
      if (entry === undefined || entry.expiresAt <= now()) return;
      this.set(key, value, entry.expiresAt - now());
    },
    delete: remove,
    sweep() {
      const t = now();
      for (const [key, entry] of entries) if (entry.expiresAt <= t) remove(key);
    },
    clear() {
      entries.clear();
      bytes = 0;
    },
    usage: () => ({ entries: entries.size, bytes }),
  };
}
