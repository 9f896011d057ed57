// The HTTP server's limits (http/limits.ts, issue 15 item 7) on a real server on loopback: the cap
// per address, the exempt proxies, and a connection that sends nothing being closed. The timeouts
// against real slow clients are in the fault suite (test/faults/slow-clients.test.ts).
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpLimits, limitConnections, serverOptions } from '../../src/http/limits.ts';

const LIMITS: HttpLimits = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 1_000,
  keepAliveTimeoutMs: 1_000,
  maxConnections: 100,
  maxConnectionsPerAddress: 2,
  exempt: (address) => address === '127.0.0.9',
};

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function start(limits: HttpLimits, refused: string[] = []): Promise<number> {
  server = createServer(serverOptions(limits), (_req, res) => res.end('ok'));
  limitConnections(server, limits, (address) => refused.push(address));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A connection from `from`; resolves with when it closed (ms after it connected), or null if still open after `waitMs`. */
function dial(port: number, from: string, waitMs: number): Promise<number | null> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  socket.on('error', () => {});
  // Read what the server sends (a 408): a socket nobody reads from never sees the server close it.
  socket.resume();
  return new Promise((resolve) => {
    let connectedAt = Date.now();
    socket.once('connect', () => (connectedAt = Date.now()));
    const timer = setTimeout(() => resolve(null), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - connectedAt);
    });
  });
}

describe('limitConnections', () => {
  it('drops connections from one address past its cap, not from an exempt proxy', async () => {
    const refused: string[] = [];
    const port = await start({ ...LIMITS, headersTimeoutMs: 5_000 }, refused);
    const capped = await Promise.all([1, 2, 3].map(() => dial(port, '127.0.0.5', 200)));
    expect(capped.filter((c) => c === null)).toHaveLength(2);
    expect(refused).toEqual(['127.0.0.5']);
    const proxy = await Promise.all([1, 2, 3].map(() => dial(port, '127.0.0.9', 200)));
    expect(proxy).toEqual([null, null, null]);
  });

  it('closes a connection that sends nothing after the headers timeout', async () => {
    const port = await start(LIMITS);
    const closedAfter = await dial(port, '127.0.0.6', 3_000);
    expect(closedAfter).not.toBeNull();
    expect(closedAfter).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 50);
    expect(closedAfter).toBeLessThan(LIMITS.headersTimeoutMs * 3);
  });

  it('serves a normal request, and keeps its connection for the next one', async () => {
    const port = await start(LIMITS);
    const first = await fetch(`http://127.0.0.1:${port}/`);
    expect(await first.text()).toBe('ok');
    await new Promise((r) => setTimeout(r, LIMITS.headersTimeoutMs + 200));
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
  });
});
