// Optional protection of the AT callbacks (issue 2): AT signs nothing (shared/research/
// at-protocol.md §5), so an operator can require a secret in the registered URL (as a path segment
// /ussd/<secret> or as ?secret=<secret>) and restrict the callers to an IP allow-list (single
// addresses or CIDR ranges). Both off by default.
import { createHash, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { ipRestriction } from 'hono/ip-restriction';

export interface GuardOptions {
  secret?: string | undefined;
  allowedIps: readonly string[];
  /** Take the client address from X-Forwarded-For (behind a load balancer that sets it). */
  trustProxy: boolean;
}

/** Compares secrets in constant time (digests have equal length whatever the input). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token from the path (/ussd/<token>[/events]) or the query (?secret=). */
export function secretGuard(secret: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!secret) return next();
    const given = c.req.param('token') ?? c.req.query('secret') ?? '';
    if (!sameSecret(given, secret)) return c.text('Forbidden: wrong or missing callback secret\n', 403);
    return next();
  };
}

export function ipGuard(options: GuardOptions): MiddlewareHandler {
  if (options.allowedIps.length === 0) return (_c, next) => next();
  return ipRestriction(
    (c: Context) => clientAddress(c, options.trustProxy),
    { allowList: [...options.allowedIps] },
    async (remote, c) => c.text(`Forbidden: ${remote.addr || 'unknown address'} is not allowed\n`, 403),
  );
}

export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    return ''; // app.request() in tests has no socket
  }
}
