// Admission control for the model: at most `maxConcurrent` generations, at most `maxQueue` waiting.
// Ollama's own queue answers 503 only after 512 waiting, far too late for a USSD hop, so the
// gateway keeps its own (shared/research/inference.md §3.6). Knows nothing about models or time.
//
// Order: a job whose caller is still on the line goes before a detached one (whose caller's
// deadline passed; it runs for a later hop). When the queue is full, a new caller evicts the oldest
// detached job rather than being turned away: someone waiting now beats someone who may come back.

export interface LimiterJob {
  /** Does the work; the slot frees when the promise settles. */
  run(): Promise<void>;
  /** True once nobody waits on this job's first screen (its caller's hop has been answered). */
  detached(): boolean;
  /** Called instead of run() when the job leaves the queue unstarted. */
  drop(reason: 'evicted' | 'closed'): void;
}

export interface Limiter {
  /** Starts the job now, queues it, or returns false when the queue is full. */
  submit(job: LimiterJob): boolean;
  /** Takes a queued job out (its own time ran out). False when it already started or left. */
  remove(job: LimiterJob): boolean;
  running(): number;
  queued(): number;
  /** Drops every queued job; running ones are the owner's to abort. */
  close(): void;
}

export function createLimiter(opts: { maxConcurrent: number; maxQueue: number }): Limiter {
  const maxConcurrent = Math.max(1, opts.maxConcurrent);
  const maxQueue = Math.max(0, opts.maxQueue);
  const queue: LimiterJob[] = [];
  let running = 0;
  let closed = false;

  function start(job: LimiterJob): void {
    running += 1;
    let settled: Promise<void>;
    try {
      settled = job.run();
    } catch (err) {
      settled = Promise.reject(err);
    }
    settled
      .catch(() => {}) // a job reports its own failures; the slot must free regardless
      .finally(() => {
        running -= 1;
        next();
      });
  }

  function next(): void {
    while (!closed && running < maxConcurrent && queue.length > 0) {
      const i = queue.findIndex((j) => !j.detached());
      const [job] = queue.splice(Math.max(i, 0), 1);
      if (job) start(job);
    }
  }

  return {
    submit(job) {
      if (closed) return false;
      if (running < maxConcurrent && queue.length === 0) {
        start(job);
        return true;
      }
      if (queue.length >= maxQueue) {
        const stale = queue.findIndex((j) => j.detached());
        if (stale < 0) return false;
        const [evicted] = queue.splice(stale, 1);
        evicted?.drop('evicted');
      }
      queue.push(job);
      next();
      return true;
    },
    remove(job) {
      const i = queue.indexOf(job);
      if (i < 0) return false;
      queue.splice(i, 1);
      return true;
    },
    running: () => running,
    queued: () => queue.length,
    close() {
      closed = true;
      for (const job of queue.splice(0)) job.drop('closed');
    },
  };
}
