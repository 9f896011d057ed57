// The composition root's drivers for what the replicas share (issue 13): the session store, and the
// question and SMS queues, model slots and SMS claims, in Redis with REDIS_URL or REDIS_SENTINELS,
// in this process without. Part of the root: only main.ts imports it; it must not serve or start
// anything (main.ts starts and closes what these return).
import type { Config } from '../config.ts';
import type { SmsRequest } from '../delivery/delivery.ts';
import type { StoredSession } from '../engine/types.ts';
import type { QuestionJob, QuestionResult } from '../inference/worker.ts';
import type { Logger } from '../logger.ts';
import { createBullQueue } from '../queue/bullmq.ts';
import { createMemoryQueue } from '../queue/memory.ts';
import { createMemoryClaims, createMemorySlotPool } from '../queue/memory-slots.ts';
import { createRedisClaims, createRedisSlotPool } from '../queue/redis-slots.ts';
import type { ClaimStore, JobQueue, SlotPool } from '../queue/types.ts';
import type { RedisTarget } from '../redis/connection.ts';
import { createMemorySessionStore } from '../session/memory.ts';
import { createRedisClient, createRedisSessionStore, type Redis } from '../session/redis.ts';
import type { SessionStore } from '../session/types.ts';

export function createStore(
  config: Config,
  target: RedisTarget | null,
  logger: Logger,
): { store: SessionStore<StoredSession>; redis: Redis | null } {
  const options = { prefix: config.REDIS_KEY_PREFIX, sessionTtlSeconds: config.SESSION_TTL_SECONDS };
  if (!target) {
    logger.warn(
      'REDIS_URL (or REDIS_SENTINELS) is not set: sessions and the question queue are kept in this process only; run one process, or set REDIS_URL',
    );
    // Bounded by bytes, three quarters sessions, a quarter cached answers (issue 15).
    const bytes = config.MEMORY_STORE_MAX_MB * 1024 * 1024;
    const store = createMemorySessionStore<StoredSession>(options, {
      maxSessionBytes: Math.round(bytes * 0.75),
      maxCacheBytes: Math.round(bytes * 0.25),
    });
    return { store, redis: null };
  }
  let lastReported = 0;
  const redis = createRedisClient(target, config.REDIS_COMMAND_TIMEOUT_MS, (error) => {
    // One line per 10 s while Redis is away, not one per reconnect attempt.
    if (Date.now() - lastReported > 10_000) {
      lastReported = Date.now();
      logger.error({ err: error.message }, '[session] [redis] connection problem');
    }
  });
  return { store: createRedisSessionStore<StoredSession>(redis, options), redis };
}

/**
 * The question queue, the SMS queue, the model slots and the SMS claims (issue 13): in Redis,
 * shared by every replica, with REDIS_URL or REDIS_SENTINELS; in this process without.
 */
export function createCapacity(
  config: Config,
  target: RedisTarget | null,
  redis: Redis | null,
  logger: Logger,
): {
  questions: JobQueue<QuestionJob, QuestionResult>;
  sms: JobQueue<SmsRequest, { outcome: string }>;
  slots: SlotPool;
  claims: ClaimStore;
} {
  const max = config.OLLAMA_HOST.map(() => config.OLLAMA_MAX_CONCURRENT);
  if (!target || !redis) {
    return {
      questions: createMemoryQueue('questions'),
      sms: createMemoryQueue('sms'),
      slots: createMemorySlotPool(max),
      claims: createMemoryClaims(),
    };
  }
  let lastReported = 0;
  const onError = (error: Error) => {
    if (Date.now() - lastReported > 10_000) {
      lastReported = Date.now();
      logger.error({ err: error.message }, '[queue] [redis] connection problem');
    }
  };
  // One lease for a job's lock and for the model slot it holds: a dead replica's questions and
  // their slots come free together, and a survivor takes both up (issue 13 §1).
  const queue = {
    redis: target,
    keyPrefix: config.REDIS_KEY_PREFIX,
    lockMs: config.QUEUE_LEASE_MS,
    onError,
  };
  return {
    questions: createBullQueue('questions', queue),
    // An SMS job holds a phone number: kept an hour once done (its claim stops a second SMS).
    sms: createBullQueue('sms', { ...queue, keepSeconds: 3600 }),
    slots: createRedisSlotPool(redis, {
      prefix: config.REDIS_KEY_PREFIX,
      hosts: config.OLLAMA_HOST.map((url) => ({ url, max: config.OLLAMA_MAX_CONCURRENT })),
      leaseMs: config.QUEUE_LEASE_MS,
    }),
    claims: createRedisClaims(redis, config.REDIS_KEY_PREFIX),
  };
}
