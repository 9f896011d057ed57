// The config's Redis section: one server (REDIS_URL) or a Sentinel group (issue 19 §3), the keys,
// the sessions and the queue's lease; and the cross-variable rules between the two ways in.
// It must not read process.env nor connect: config.ts hands it the values.
import { z } from 'zod';
import type { SentinelAddress } from '../redis/connection.ts';
import { int, optionalText, url } from './fields.ts';

// REDIS_SENTINELS (issue 19 §3): `host:port` entries, `[v6]:port` for IPv6; a bare host is 26379,
// Sentinel's own port.
const sentinelList = z.string().transform((v, ctx): readonly SentinelAddress[] => {
  const entries = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.filter((e) => sentinelAddress(e) === null);
  if (bad.length > 0)
    ctx.addIssue({
      code: 'custom',
      message: `not host:port (e.g. sentinel-1:26379, 10.0.0.5:26379, [::1]:26379): ${bad.join(', ')}`,
    });
  return entries.map(sentinelAddress).filter((a): a is SentinelAddress => a !== null);
});

/** Redis, the sessions kept in it and the memory store used without it. */
export const REDIS_FIELDS = {
  REDIS_URL: url(['redis:', 'rediss:'])
    .optional()
    .or(z.literal('').transform(() => undefined)),
  // Redis Sentinel instead of REDIS_URL: the master is asked of the sentinels on every connect.
  REDIS_SENTINELS: sentinelList.default([]),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^([A-Za-z0-9._-]{1,64})?$/, 'the master group name: letters, digits, ".", "_" and "-"')
    .transform((v) => v || undefined)
    .optional(),
  REDIS_SENTINEL_PASSWORD: optionalText,
  REDIS_PASSWORD: optionalText,
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,40}$/, 'letters, digits, ":", "_" and "-" only')
    .default('ussd:'),
  REDIS_COMMAND_TIMEOUT_MS: int(50, 10_000).default(500),
  SESSION_TTL_SECONDS: int(180, 86_400).default(300),
  QUEUE_LEASE_MS: int(2000, 120_000).default(10_000),
  MEMORY_STORE_MAX_MB: int(1, 65_536).default(48),
};

/**
 * One way to Redis at a time: REDIS_URL names one server, REDIS_SENTINELS a group whose master
 * moves. Both set would leave it unclear which the replicas share, so it is refused; the
 * Sentinel-only variables without REDIS_SENTINELS are refused too (they would silently do nothing).
 */
export function redisProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  if (set('REDIS_SENTINELS') && set('REDIS_URL'))
    problems.push(
      'REDIS_SENTINELS: set either REDIS_URL (one Redis) or REDIS_SENTINELS (the master found through Sentinel), not both',
    );
  if (set('REDIS_SENTINELS') && !set('REDIS_SENTINEL_NAME'))
    problems.push(
      'REDIS_SENTINEL_NAME="": required with REDIS_SENTINELS (the name in the sentinels\' "sentinel monitor <name> …")',
    );
  if (!set('REDIS_SENTINELS')) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD'])
      if (set(name))
        problems.push(
          `${name}: only used with REDIS_SENTINELS${name === 'REDIS_PASSWORD' ? ' (with REDIS_URL the password goes in the URL: redis://:<password>@host:6379)' : ''}`,
        );
  }
  return problems;
}

/** `host:port`, `[v6]:port` or a bare host (port 26379); null when it is none of those. */
function sentinelAddress(entry: string): SentinelAddress | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(entry);
  if (!m) return null;
  const port = m[3] === undefined ? 26379 : Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2] ?? '', port };
}
