// The capacity boundary (issue 13): the queue of work shared by every replica, the model slots
// counted across replicas, and durable claims for what must happen at most once (an SMS).
// Drivers: bullmq.ts + redis-slots.ts (Redis, shared by every replica) and memory.ts +
// memory-slots.ts (one process, the embedded default). The core imports these interfaces only.

/** One job as its handler sees it. */
export interface JobContext<D> {
  id: string;
  data: D;
  /** Runs of this job before this one (0 the first time; a run cut by a crash counts too). */
  attempt: number;
  /** Tells every process listening (queue.onProgress) how the job is going. */
  progress(data: unknown): Promise<void>;
  /** Aborted when this process stops working the job (shutdown). */
  signal: AbortSignal;
}

export type JobHandler<D, R> = (job: JobContext<D>) => Promise<R>;

export interface AddOptions {
  /** Runs in all, retries included (default 1). */
  attempts?: number;
  /** Delay before the first retry, doubled at each retry after it (default 1000 ms). */
  backoffMs?: number;
  /**
   * Held this long before it may run, unless promote()d sooner: a phone's second question waits
   * for its first (issue 13 §3), and runs at the latest after this if the first's end was lost.
   */
  delayMs?: number;
}

export interface JobCounts {
  /** Waiting to start, retries waiting for their backoff and held jobs included. */
  waiting: number;
  /** Running now, in every process. */
  active: number;
}

/**
 * Jobs kept until they are done, worked by whichever process has room. A job accepted by add() is
 * worked even if the process that added it, or the one working it, dies (Redis driver); the same
 * id is never queued twice while the first is kept. A handler that throws is retried with backoff
 * while attempts remain, unless it throws a PermanentJobError.
 */
export interface JobQueue<D, R = unknown> {
  readonly name: string;
  /** Queues a job under `id`; a second add with an id already kept is ignored. */
  add(id: string, data: D, options?: AddOptions): Promise<void>;
  /** A job held by `delayMs` may run now; nothing when it is not held (running, done, unknown). */
  promote(id: string): Promise<void>;
  /** Starts working jobs in this process, at most `concurrency` at once. */
  process(handler: JobHandler<D, R>, concurrency: number): void;
  /** At most this many jobs run at once across every process (model slots, issue 13 §2). */
  setGlobalConcurrency(n: number): Promise<void>;
  counts(): Promise<JobCounts>;
  /** Progress of any job, from any process; also for jobs this process runs. */
  onProgress(listener: (id: string, data: unknown) => void): void;
  /** A job done (its handler's result), from any process. */
  onCompleted(listener: (id: string, result: R) => void): void;
  /** Stops taking jobs; running handlers are aborted and their jobs left to be run again. */
  close(): Promise<void>;
}

/** Thrown by a handler: the job failed for good, no retry. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

/** A model slot held on one host. */
export interface SlotLease {
  host: number;
  /** Frees the slot (idempotent). */
  release(): Promise<void>;
}

export type SlotKind = 'ussd' | 'api';

/**
 * Generation slots of each model host, counted across every replica (issue 13 §2): a host never
 * has more than its `max` generations at once from all replicas together. API callers hold at
 * most `apiShare` slots in all, and take a freed slot first while they wait below their share, so
 * neither kind starves the other (issue 15 item 3). Leases renew while held; a replica that dies
 * loses its slots after the lease time.
 */
export interface SlotPool {
  /** A slot on the first of `hosts` (in that order of preference) that has one free, or null. */
  tryAcquire(hosts: readonly number[], kind: SlotKind): Promise<SlotLease | null>;
  /** Slots held now per host, every replica included. */
  inUse(): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * Durable at-most-once marks (the SMS of a question, issue 13 §4): a value set only if absent,
 * read back, replaced, or deleted only by whoever holds the value now.
 */
export interface ClaimStore {
  /** Sets `key` to `value` unless it exists; true when this call set it. */
  claim(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Replaces the value when it is still `expected`; true when replaced. */
  swap(key: string, expected: string, value: string | null, ttlSeconds: number): Promise<boolean>;
}
