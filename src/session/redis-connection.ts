// How the Redis session driver (redis.ts) uses its client's connection: commands of one event-loop
// turn go out in one socket write, and a hop's command waits for a ready connection rather than
// sitting in ioredis's offline queue (issue 15). Knows nothing of sessions.
import type { Redis } from 'ioredis';

/**
 * A function giving null while the client is ready (the usual case: no wait, no allocation), else a
 * promise that resolves once it is ready and rejects after the client's command timeout.
 */
export function readiness(redis: Redis): () => Promise<void> | null {
  const timeoutMs = redis.options.commandTimeout ?? 1_000;
  // One listener however many hops wait: one promise per time the client is not ready.
  let ready: Promise<void> | null = null;
  return () => {
    if (redis.status === 'ready') return null;
    ready ??= new Promise<void>((resolve) =>
      redis.once('ready', () => {
        ready = null;
        resolve();
      }),
    );
    const whenReady = ready;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not connected to Redis within ${timeoutMs} ms (${redis.status})`)),
        timeoutMs,
      );
      void whenReady.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  };
}

/**
 * Commands issued in one turn of the event loop go to Redis in one socket write. ioredis writes
 * each command as it is issued, and on these machines a write that wakes Redis was the largest
 * single cost of a hop (issue 7 profile: 44 % of the in-process hop time for two writes). Under
 * load many hops issue their command in the same turn (one poll phase brings many requests, one
 * read brings many replies), so the socket is corked at the first command and uncorked after the
 * poll phase (setImmediate): 38 → 29 µs of CPU per hop. It adds no wait beyond that one turn,
 * and ioredis's own auto-pipelining, which does this with a Pipeline per batch, measured slower.
 */
export function writeCoalescer(redis: Redis): () => void {
  let corked: { cork(): void; uncork(): void } | null = null;
  return () => {
    if (corked !== null || redis.status !== 'ready') return;
    const stream = redis.stream;
    if (!stream) return;
    stream.cork();
    corked = stream;
    setImmediate(() => {
      corked = null;
      stream.uncork();
    });
  };
}
