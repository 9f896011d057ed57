// The in-process SlotPool and ClaimStore: the embedded default (one process). The same rules as
// the Redis driver (slot-rules.ts); nothing outlives the process, which is all one process needs.
import { API_WAIT_MS, apiShare, pickSlot } from './slot-rules.ts';
import type { ClaimStore, SlotKind, SlotLease, SlotPool } from './types.ts';

export function createMemorySlotPool(max: readonly number[], clock: () => number = Date.now): SlotPool {
  const held = max.map(() => 0);
  const share = apiShare(max.reduce((a, b) => a + b, 0));
  let apiHeld = 0;
  let apiWaitUntil = 0;
  return {
    async tryAcquire(order: readonly number[], kind: SlotKind): Promise<SlotLease | null> {
      const host = pickSlot({ held, apiHeld, apiWaiting: clock() < apiWaitUntil }, max, order, kind, share);
      if (host < 0) {
        if (kind === 'api' && apiHeld < share) apiWaitUntil = clock() + API_WAIT_MS;
        return null;
      }
      held[host] = (held[host] ?? 0) + 1;
      if (kind === 'api') {
        apiHeld += 1;
        apiWaitUntil = 0;
      }
      let released = false;
      return {
        host,
        async release() {
          if (released) return;
          released = true;
          held[host] = (held[host] ?? 1) - 1;
          if (kind === 'api') apiHeld -= 1;
        },
      };
    },
    inUse: async () => [...held],
    close: async () => {},
  };
}

export function createMemoryClaims(clock: () => number = Date.now): ClaimStore {
  const claims = new Map<string, { value: string; until: number }>();
  const live = (key: string) => {
    const c = claims.get(key);
    if (c && c.until <= clock()) claims.delete(key);
    return claims.get(key) ?? null;
  };
  return {
    async claim(key, value, ttlSeconds) {
      if (live(key)) return false;
      claims.set(key, { value, until: clock() + ttlSeconds * 1000 });
      return true;
    },
    get: async (key) => live(key)?.value ?? null,
    async swap(key, expected, value, ttlSeconds) {
      if (live(key)?.value !== expected) return false;
      if (value === null) claims.delete(key);
      else claims.set(key, { value, until: clock() + ttlSeconds * 1000 });
      return true;
    },
  };
}
