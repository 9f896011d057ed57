// Optional protection of the AT callbacks (issue 2), reusable by any callback route (M-Pesa's too):
// AT signs nothing (shared/research/at-protocol.md §5), so an operator can require a secret in the
// registered URL (as a path segment /ussd/<secret> or as ?secret=<secret>) and restrict the callers
// to an IP allow-list (single addresses or CIDR ranges). Both off by default; main.ts refuses to
// start without one in production (config.ts). A request whose address cannot be read is refused
// (403), never an error (issue 15).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { type Address, addressSet, parseAddress } from './address.ts';

/**
 * Who may say, in X-Forwarded-For, where a request came from (TRUST_PROXY): the number of
 * proxies in front of the gateway (0: none, the socket's address is the caller's), or their
 * addresses and CIDR ranges. Never "anyone": the left of the header is whatever the client wrote.
 */
export type TrustProxy = { hops: number } | { proxies: readonly string[] };

export interface GuardOptions {
  secret?: string | undefined;
  allowedIps: readonly string[];
  trustProxy: TrustProxy;
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

export function ipGuard(options: Pick<GuardOptions, 'allowedIps' | 'trustProxy'>): MiddlewareHandler {
  if (options.allowedIps.length === 0) return (_c, next) => next();
  const allowed = addressSet(options.allowedIps);
  const address = clientAddressOf(options.trustProxy);
  return async (c, next) => {
    const client = address(c);
    if (client !== null && allowed.has(client)) return next();
    return c.text(`Forbidden: ${client?.address ?? 'unknown address'} is not allowed\n`, 403);
  };
}

/** The caller's address as TRUST_PROXY says to read it, or null when it cannot be read. */
export function clientAddress(c: Context, trust: TrustProxy): string | null {
  return clientAddressOf(trust)(c)?.address ?? null;
}

/** Whether a socket's peer is one of the named trusted proxies (false for a hop count: unknown). */
export function isTrustedProxy(trust: TrustProxy): (socketAddress: string) => boolean {
  if ('hops' in trust) return () => false;
  const proxies = addressSet(trust.proxies);
  return (socketAddress) => {
    const parsed = parseAddress(socketAddress);
    return parsed !== null && proxies.has(parsed);
  };
}

/**
 * Reads the chain [X-Forwarded-For entries..., socket] from the right, as proxies append to it:
 * with a hop count, the entry that many hops left of the socket (the left-most if fewer); with
 * named proxies, the right-most entry that is not one of them. An unreadable entry where the
 * caller should be is null: the caller cannot be told apart from a forger.
 */
function clientAddressOf(trust: TrustProxy): (c: Context) => Address | null {
  const proxies = 'proxies' in trust ? addressSet(trust.proxies) : null;
  const hops = 'hops' in trust ? trust.hops : 0;
  return (c) => {
    const socket = parseAddress(socketAddress(c));
    const header = c.req.header('x-forwarded-for');
    if (header === undefined || (proxies === null && hops === 0)) return socket;
    const chain = header.split(',');
    if (proxies === null) {
      const at = chain.length - hops; // the socket is position chain.length
      return parseAddress(chain[Math.max(0, at)] ?? '');
    }
    if (socket === null || !proxies.has(socket)) return socket;
    let entry: Address | null = socket;
    for (let i = chain.length - 1; i >= 0; i--) {
      entry = parseAddress(chain[i] ?? '');
      if (entry === null || !proxies.has(entry)) return entry;
    }
    return entry; // every entry a proxy: the left-most is as near the caller as we can tell
  };
}

function socketAddress(c: Context): string {
  // app.request() in tests and other runtimes have no Node socket.
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? '';
}
