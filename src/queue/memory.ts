// The in-process JobQueue: the embedded default without REDIS_URL (one process only). First in,
// first out, the same attempts, backoff and id rules as the Redis driver, so the contract suite
// (test/queue/queue-contract.ts) runs against both. Jobs live in this process: a restart loses
// those not done, which is why several replicas need REDIS_URL.
import { EventEmitter } from 'node:events';
import {
  type AddOptions,
  type JobCounts,
  type JobHandler,
  type JobQueue,
  PermanentJobError,
} from './types.ts';

/** Ids of finished jobs remembered, so a late second add of the same id is still ignored. */
const KEPT_IDS = 20_000;

interface Entry<D> {
  id: string;
  data: D;
  attempts: number;
  backoffMs: number;
  runs: number;
}

export function createMemoryQueue<D, R = unknown>(name: string): JobQueue<D, R> {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const waiting: Entry<D>[] = [];
  const kept = new Map<string, true>();
  const running = new Map<string, AbortController>();
  const retries = new Set<NodeJS.Timeout>();
  /** Jobs held by delayMs, until their time or promote(). */
  const held = new Map<string, { entry: Entry<D>; timer: NodeJS.Timeout }>();
  let handler: JobHandler<D, R> | null = null;
  let local = 0;
  let global = Number.POSITIVE_INFINITY;
  let closed = false;

  const keep = (id: string) => {
    kept.delete(id);
    kept.set(id, true);
    if (kept.size > KEPT_IDS) kept.delete(kept.keys().next().value as string);
  };

  /** A held job joins the queue. */
  function release(id: string): void {
    const h = held.get(id);
    if (!h || closed) return;
    clearTimeout(h.timer);
    held.delete(id);
    waiting.push(h.entry);
    pump();
  }

  function pump(): void {
    while (!closed && handler && waiting.length > 0 && running.size < Math.min(local, global)) {
      const entry = waiting.shift() as Entry<D>;
      run(entry, handler);
    }
  }

  function run(entry: Entry<D>, work: JobHandler<D, R>): void {
    const ctl = new AbortController();
    running.set(entry.id, ctl);
    const attempt = entry.runs;
    entry.runs += 1;
    const job = {
      id: entry.id,
      data: entry.data,
      attempt,
      signal: ctl.signal,
      progress: async (data: unknown) => {
        events.emit('progress', entry.id, data);
      },
    };
    Promise.resolve()
      .then(() => work(job))
      .then(
        (result) => {
          running.delete(entry.id);
          events.emit('completed', entry.id, result);
        },
        (error: unknown) => {
          running.delete(entry.id);
          if (closed || error instanceof PermanentJobError || entry.runs >= entry.attempts) return;
          const timer = setTimeout(
            () => {
              retries.delete(timer);
              if (closed) return;
              waiting.push(entry);
              pump();
            },
            entry.backoffMs * 2 ** (entry.runs - 1),
          );
          timer.unref();
          retries.add(timer);
        },
      )
      .finally(pump);
  }

  return {
    name,
    async add(id, data, options: AddOptions = {}) {
      if (closed || kept.has(id)) return;
      keep(id);
      const entry = {
        id,
        data,
        attempts: Math.max(1, options.attempts ?? 1),
        backoffMs: Math.max(0, options.backoffMs ?? 1000),
        runs: 0,
      };
      if ((options.delayMs ?? 0) > 0) {
        const timer = setTimeout(() => release(id), options.delayMs);
        timer.unref();
        held.set(id, { entry, timer });
        return;
      }
      waiting.push(entry);
      pump();
    },
    async promote(id) {
      release(id);
    },
    process(work, concurrency) {
      handler = work;
      local = Math.max(1, concurrency);
      pump();
    },
    async setGlobalConcurrency(n) {
      global = Math.max(1, n);
      pump();
    },
    async counts(): Promise<JobCounts> {
      return { waiting: waiting.length + retries.size + held.size, active: running.size };
    },
    onProgress(listener) {
      events.on('progress', listener);
    },
    onCompleted(listener) {
      events.on('completed', listener);
    },
    async close() {
      closed = true;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      for (const { timer } of held.values()) clearTimeout(timer);
      held.clear();
      for (const ctl of running.values()) ctl.abort(new DOMException('queue closing', 'AbortError'));
    },
  };
}
