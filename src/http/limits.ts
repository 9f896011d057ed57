// The HTTP server's own limits (issue 15: ~1,000 connections dripping a byte every 5 s made every
// normal hop fail, and slow bodies stayed open past 105 s under Node's defaults of 60 s for the
// headers and 300 s for the request). AT posts a form of a few hundred bytes and waits for the
// reply, so a request that takes seconds to arrive is not AT: cut it. Connections are capped in
// all and per address; a trusted proxy and AT's own addresses (ALLOWED_IPS) carry many callers
// and are not capped per address. The composition root applies these to the server it serves on.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  /** HTTP_HEADERS_TIMEOUT_MS: a connection must have sent its request's headers within this. */
  headersTimeoutMs: number;
  /** HTTP_REQUEST_TIMEOUT_MS: …and its whole request (the body too); the reply is not limited. */
  requestTimeoutMs: number;
  /** HTTP_KEEP_ALIVE_TIMEOUT_MS: an idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** HTTP_MAX_CONNECTIONS: connections at once; beyond it new ones are dropped. */
  maxConnections: number;
  /** HTTP_MAX_CONNECTIONS_PER_IP: connections at once from one address (0: no cap). */
  maxConnectionsPerAddress: number;
  /** Addresses not capped per address (the trusted proxies, AT's allowed addresses). */
  exempt: (address: string) => boolean;
}

/** Requests one connection may carry before it is closed (the client then opens another). */
const MAX_REQUESTS_PER_SOCKET = 1_000;

/** Options for http.createServer (@hono/node-server's `serverOptions`). */
export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    // Node refuses a headers timeout longer than the request timeout.
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks both timeouts this often (default 30 s, which would let a slow client stay 30 s
    // past them). The headers timeout runs from the connection's start: one that sends nothing
    // is closed too (with a 408).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
}

/**
 * Caps the server's connections in all and per address. `onRefused` hears of each connection
 * dropped for the per-address cap (the caller throttles its logging).
 */
export function limitConnections(
  server: Server,
  limits: HttpLimits,
  onRefused: (address: string) => void = () => {},
): void {
  server.maxConnections = limits.maxConnections;
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
  const perAddress = limits.maxConnectionsPerAddress;
  if (perAddress <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (limits.exempt(address)) return;
    const count = open.get(address) ?? 0;
    if (count >= perAddress) {
      socket.destroy();
      onRefused(address);
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
