// Every Redis connection the gateway makes is built here (issue 19 §3): the session store's (shared
// with the model slots and SMS claims) and each BullMQ queue's producer and blocking connections,
// to one Redis by URL or to whichever node Redis Sentinel names master. Knows nothing of sessions
// or jobs; it must not change what a caller's commands do, only where and how they connect.
import { Redis, type RedisOptions } from 'ioredis';

/** Where Redis is: a `redis://` URL, or the master of a Sentinel group. */
export type RedisTarget = string | SentinelTarget;

export interface SentinelTarget {
  sentinels: readonly SentinelAddress[];
  /** The master group's name (`sentinel monitor <name> …`). */
  name: string;
  /** `requirepass` of the sentinels themselves, if any. */
  sentinelPassword?: string | undefined;
  /** `requirepass` of the master and replicas, if any. */
  password?: string | undefined;
}

export interface SentinelAddress {
  host: string;
  port: number;
}

/**
 * `hop`: on a hop's path, never waits past its command timeout (the session store, slots, claims).
 * `producer`: a queue's adds and counts, bounded the same way. `blocking`: a worker's or event
 * reader's connection, which waits on Redis for as long as it takes, as BullMQ requires.
 */
export type ConnectionKind = 'hop' | 'producer' | 'blocking';

export interface ConnectionOptions {
  kind: ConnectionKind;
  /** CLIENT SETNAME, so an operator can tell the gateway's connections apart (CLIENT LIST). */
  name: string;
  commandTimeoutMs?: number;
  /** Connection errors (one per failed reconnect attempt; the caller rate-limits its logging). */
  onError?: (err: Error) => void;
}

/** Builds connections of any kind to one target: what main.ts hands to each driver. */
export type RedisConnector = (kind: ConnectionKind, name: string) => Redis;

const RECONNECT_MAX_DELAY_MS = 2_000;
const SENTINEL_RECONNECT_MAX_DELAY_MS = 500;

export function createRedisConnection(target: RedisTarget, options: ConnectionOptions): Redis {
  const settings: RedisOptions = {
    connectionName: options.name,
    ...kindOptions(options),
    ...(typeof target === 'string' ? {} : sentinelOptions(target, options.commandTimeoutMs ?? 1_000)),
  };
  const redis = typeof target === 'string' ? new Redis(target, settings) : new Redis(settings);
  // Without a listener ioredis reports every failed reconnect as an unhandled 'error' event.
  redis.on('error', (err: Error) => options.onError?.(err));
  return redis;
}

export function createRedisConnector(
  target: RedisTarget,
  commandTimeoutMs: number,
  onError?: (err: Error) => void,
): RedisConnector {
  return (kind, name) =>
    createRedisConnection(target, { kind, name, commandTimeoutMs, ...(onError ? { onError } : {}) });
}

/** The address shown in logs: the URL without its password, or the sentinels and group. */
export function describeTarget(target: RedisTarget): string {
  if (typeof target !== 'string')
    return `sentinel ${target.name} via ${target.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  const u = new URL(target);
  u.password = '';
  return u.toString();
}

function kindOptions({ kind, commandTimeoutMs = 1_000 }: ConnectionOptions): RedisOptions {
  if (kind === 'blocking') return { maxRetriesPerRequest: null };
  if (kind === 'producer') return { commandTimeout: commandTimeoutMs, maxRetriesPerRequest: 1 };
  return {
    // Armed when a command is issued, even while it waits in the offline queue (ioredis 5
    // Redis#sendCommand), so no call outlives it whatever the connection is doing.
    commandTimeout: commandTimeoutMs,
    // Kept on (the default): with it off, commands sent before the first 'ready' fail at once with
    // "Stream isn't writeable" (ioredis #945, #625). A command that timed out in the queue is
    // still sent when Redis returns, long after its caller gave up: so the session store never
    // queues a hop's own commands (it waits for 'ready' itself, within the command timeout), and
    // undoes a lease whose begin failed (issue 15: a replayed lease held a session for seconds).
    enableOfflineQueue: true,
    // Queued commands are rejected after every second failed reconnect attempt instead of the
    // default 20, so an outage does not pile up hops' commands waiting to be replayed.
    maxRetriesPerRequest: 1,
    // A command whose reply was lost with the connection may or may not have run; replaying it
    // later could double a counter, and its caller has long given up.
    autoResendUnfulfilledCommands: false,
    // A Redis host that vanished (no RST) would leave the socket open forever: give up on a
    // connection that is not answering pending commands, and one that does not connect.
    socketTimeout: Math.max(2_000, 4 * commandTimeoutMs),
    connectTimeout: Math.max(1_000, 4 * commandTimeoutMs),
    // Never stop trying (a number, never null), so the gateway heals without a restart; capped
    // so it notices a returned Redis within ~2 s, jittered so replicas do not reconnect in step.
    retryStrategy: reconnectDelay(RECONNECT_MAX_DELAY_MS),
  };
}

/**
 * ioredis asks the sentinels for the master on every (re)connect and checks the node's role once
 * connected (README §Sentinel; SentinelConnector), so a killed master costs the reconnects until
 * the sentinels have promoted a replica. Two cases it does not cover by default are covered here.
 */
function sentinelOptions(target: SentinelTarget, commandTimeoutMs: number): RedisOptions {
  return {
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.password ? { password: target.password } : {}),
    // An old master that is still reachable (a partition, a manual SENTINEL FAILOVER) would keep
    // this connection, and its writes, until it is demoted: leave it as soon as any sentinel
    // announces +switch-master (FailoverDetector, off by default).
    failoverDetector: true,
    // ...and once demoted it answers writes with READONLY: reconnect (through the sentinels) but do
    // not resend (1, not 2): the hop that got the error has already given its polite END.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 1 : false),
    // A sentinel that accepts the connection but does not answer must not stall the reconnect.
    sentinelCommandTimeout: Math.max(500, commandTimeoutMs),
    // All sentinels unreachable: keep asking (never null), at most once a second.
    sentinelRetryStrategy: (times) => Math.min(times * 100, 1_000),
    // Every kind: a reconnect asks a sentinel first, which is cheap, and a promotion is a matter of
    // seconds; at 2 s between tries service came back ~1 s after the promotion (the fault suite:
    // promoted at 2.4 s, last END at 3.4 s), so try at least every half second.
    retryStrategy: reconnectDelay(SENTINEL_RECONNECT_MAX_DELAY_MS),
  };
}

/** Doubling from 100 ms to `maxMs`, plus up to 100 ms of jitter so replicas do not reconnect in step. */
function reconnectDelay(maxMs: number): (times: number) => number {
  return (times) => Math.min(50 * 2 ** Math.min(times, 6), maxMs) + Math.floor(Math.random() * 100);
}
