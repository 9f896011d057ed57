// The Redis JobQueue, on BullMQ (issue 13 §1): jobs wait in Redis, survive a restart or a SIGKILL
// (a job whose worker died is found stalled once its lock runs out and is run again elsewhere), are
// worked by whichever replica has room, and at most `setGlobalConcurrency` run at once across all
// of them. Progress and completion reach every replica through BullMQ's QueueEvents (one Redis
// stream per queue). It must not know what a job means.
import { hostname } from 'node:os';
import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedisConnection, type RedisTarget } from '../redis/connection.ts';
import {
  type AddOptions,
  type JobCounts,
  type JobHandler,
  type JobQueue,
  PermanentJobError,
} from './types.ts';

export interface BullQueueOptions {
  /** A `redis://` URL or a Sentinel group (src/redis/connection.ts builds every connection). */
  redis: RedisTarget;
  /** REDIS_KEY_PREFIX: BullMQ's keys go under `<prefix>bull:<name>:…`. */
  keyPrefix: string;
  /**
   * A running job's lock (QUEUE_LEASE_MS), renewed every half of it: a worker that dies (SIGKILL)
   * leaves its jobs to be run again once it runs out (default 10 s), by any replica's stalled check.
   */
  lockMs?: number;
  /**
   * How often the replicas look for jobs whose lock ran out (default 1 s; one replica looks per
   * interval, BullMQ's stalled-check key). Short, so a dead replica's job is run again within about
   * a second of its lock running out instead of up to a whole interval after: each look is one
   * small script over the active list, which holds at most the global concurrency of jobs.
   */
  stalledCheckMs?: number;
  /** Done jobs (and their ids, so a second add of the same id is ignored) are kept this long. */
  keepSeconds?: number;
  /** Adds and counts never wait longer than this (the hop that asks has a deadline). */
  commandTimeoutMs?: number;
  onError?: (error: Error) => void;
}

const DEFAULT_KEEP_SECONDS = 86_400;

export function createBullQueue<D, R = unknown>(name: string, options: BullQueueOptions): JobQueue<D, R> {
  const prefix = `${options.keyPrefix}bull`;
  const onError = options.onError ?? (() => {});
  const keep = options.keepSeconds ?? DEFAULT_KEEP_SECONDS;
  // The producer's connection fails fast, as the session store's does: an add on the hop's path
  // must not hang. The worker and the event reader block on Redis, as BullMQ requires (null).
  const producer = createRedisConnection(options.redis, {
    kind: 'producer',
    name: `ussd-ai-gateway:${name}`,
    commandTimeoutMs: options.commandTimeoutMs ?? 1000,
    onError,
  });
  const blocking = () =>
    createRedisConnection(options.redis, { kind: 'blocking', name: `ussd-ai-gateway:${name}:worker` });
  const queue = new Queue<D, R>(name, { connection: producer, prefix });
  queue.on('error', onError);
  let events: QueueEvents | null = null;
  let eventsConnection: Redis | null = null;
  const progressListeners: ((id: string, data: unknown) => void)[] = [];
  const completedListeners: ((id: string, result: R) => void)[] = [];
  let worker: Worker<D, R> | null = null;
  let workerConnection: Redis | null = null;
  // Jobs this process runs: their events reach this process's listeners at once, so the copy that
  // comes back through Redis is dropped (kept a minute after the job, for late stream reads).
  const local = new Set<string>();
  const forget = (id: string) => setTimeout(() => local.delete(id), 60_000).unref();

  /** One event reader per process, made when someone first listens. */
  function listen(): void {
    if (events) return;
    eventsConnection = blocking();
    eventsConnection.on('error', onError);
    events = new QueueEvents(name, { connection: eventsConnection, prefix });
    events.on('error', onError);
    events.on('progress', ({ jobId, data }) => {
      if (local.has(jobId)) return;
      for (const l of progressListeners) l(jobId, data);
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      if (local.has(jobId)) return;
      // BullMQ hands the return value over as it stored it: JSON text from other processes.
      const result = (typeof returnvalue === 'string' ? safeParse(returnvalue) : returnvalue) as R;
      for (const l of completedListeners) l(jobId, result);
    });
  }

  return {
    name,
    async add(id, data, opts: AddOptions = {}) {
      // BullMQ types the job name from the data; ours is always the queue's name.
      await (queue as unknown as Queue).add(name, data, {
        jobId: id,
        attempts: Math.max(1, opts.attempts ?? 1),
        backoff: { type: 'exponential', delay: Math.max(0, opts.backoffMs ?? 1000) },
        removeOnComplete: { age: keep },
        removeOnFail: { age: keep },
        ...((opts.delayMs ?? 0) > 0 ? { delay: opts.delayMs } : {}),
      });
    },
    async promote(id) {
      const job = await queue.getJob(id);
      if (!job || !(await job.isDelayed())) return;
      // Another replica may promote it between the check and here: that is the same outcome.
      await job.promote().catch(async (error: unknown) => {
        if (await job.isDelayed()) throw error;
      });
    },
    process(handler: JobHandler<D, R>, concurrency: number) {
      if (worker) throw new Error(`[queue] ${name}: already processing`);
      workerConnection = blocking();
      workerConnection.on('error', onError);
      worker = new Worker<D, R>(
        name,
        async (job, _token, signal) => {
          const ctl = new AbortController();
          signal?.addEventListener('abort', () => ctl.abort(signal.reason), { once: true });
          const id = job.id ?? '';
          local.add(id);
          try {
            const result = await handler({
              id,
              data: job.data,
              attempt: Math.max(0, job.attemptsStarted - 1),
              signal: ctl.signal,
              progress: async (data) => {
                // This process's own listeners hear it at once; the others through Redis.
                for (const l of progressListeners) l(id, data);
                await job.updateProgress(data as object);
              },
            });
            for (const l of completedListeners) l(id, result);
            return result;
          } catch (error) {
            if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
            throw error;
          } finally {
            forget(id);
          }
        },
        {
          connection: workerConnection,
          prefix,
          // Stored on each job it takes (BullMQ's processedBy): which box and process ran it, for
          // an operator reading the queue, and for the tests that kill the one running a question.
          name: `${hostname()}:${process.pid}`,
          concurrency: Math.max(1, concurrency),
          lockDuration: options.lockMs ?? 10_000,
          stalledInterval: options.stalledCheckMs ?? 1_000,
          maxStalledCount: 2,
        },
      );
      worker.on('error', onError);
    },
    async setGlobalConcurrency(n) {
      await queue.setGlobalConcurrency(Math.max(1, n));
    },
    async counts(): Promise<JobCounts> {
      const c = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
      return {
        waiting: (c['wait'] ?? 0) + (c['prioritized'] ?? 0) + (c['delayed'] ?? 0),
        active: c['active'] ?? 0,
      };
    },
    onProgress(listener) {
      progressListeners.push(listener);
      listen();
    },
    onCompleted(listener) {
      completedListeners.push(listener);
      listen();
    },
    async close() {
      if (worker) {
        // Running handlers are told to stop; their jobs go back to wait (a retry) or, if a handler
        // does not stop, are found stalled after the lock time and run again.
        worker.cancelAllJobs('gateway closing');
        await Promise.race([worker.close(), sleep(3000)]);
        await worker.close(true).catch(() => {});
      }
      await events?.close().catch(() => {});
      await queue.close().catch(() => {});
      for (const c of [producer, workerConnection, eventsConnection]) c?.disconnect();
    },
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
