// The two timers the answer path races its work against. Both are unref'd: a pending race must
// never keep the process alive at shutdown. They must not know what they are timing.

/** `work`, or a rejection once `ms` have passed. */
export function within<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    sleep(Math.max(0, ms), null).then(() => {
      throw new Error(`[queue] no answer within ${Math.round(ms)} ms`);
    }),
  ]);
}

export function sleep<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}
