// Test tools for the Redis driver: watch what one connection sends (MONITOR), a port with nothing
// on it, and a TCP relay to Redis that can be cut and restored. Loopback only.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { Redis } from 'ioredis';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Watches, through MONITOR on a second connection, the commands `client`'s connection sends: the
 * server's own view, so a pipeline or a hidden retry would show. Each op is fenced by an ECHO.
 * MONITOR is read from a plain socket, not ioredis's monitor mode: that mode switches to
 * "monitoring" a tick after MONITOR's OK, so on a busy server (the rest of the suite running) the
 * lines that come in the same read as the OK are taken for replies and ioredis fails with
 * "Command queue state error" (seen flaking these tests under load).
 */
export async function watchCommands(client: Redis, redisUrl: string) {
  const addr = /addr=(\S+)/.exec(String(await client.client('INFO')))?.[1];
  if (addr === undefined) throw new Error('CLIENT INFO gave no addr');
  const url = new URL(redisUrl);
  const socket = net.connect(Number(url.port || 6379), url.hostname);
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  const seen: string[][] = [];
  let buffered = '';
  let started: () => void = () => {};
  const monitoring = new Promise<void>((resolve) => {
    started = resolve;
  });
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    // MONITOR's replies are simple strings, one per line: +OK, then +<time> [<db> <addr>] "arg" …
    for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line === '+OK') started();
      const m = /^\+\S+ \[\d+ (\S+)\] (.*)$/.exec(line);
      if (m && m[1] === addr) seen.push(monitorArgs(m[2] ?? ''));
    }
  });
  socket.write('MONITOR\r\n');
  await monitoring;
  return {
    async commandsOf(op: () => Promise<unknown>): Promise<string[][]> {
      seen.length = 0;
      await op();
      const fence = `fence-${randomUUID()}`;
      await client.echo(fence);
      for (let i = 0; i < 250 && !seen.some((a) => a[1] === fence); i++) await sleep(20);
      const fenceAt = seen.findIndex((a) => a[1] === fence);
      if (fenceAt < 0) throw new Error('MONITOR never saw the fence');
      return seen.slice(0, fenceAt);
    },
    stop: () => socket.destroy(),
  };
}

/** The arguments of one MONITOR line: quoted, with \" \\ \n \r \t and \xHH escapes. */
function monitorArgs(text: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    args.push(
      (m[1] ?? '').replace(/\\(x[0-9a-f]{2}|.)/g, (_all, e: string) => {
        if (e.startsWith('x') && e.length === 3) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
        return ({ n: '\n', r: '\r', t: '\t', a: '\u0007', b: '\b' } as Record<string, string>)[e] ?? e;
      }),
    );
  }
  return args;
}

/** The key arguments of a command our store sends. */
export function keysOf(args: string[]): string[] {
  const name = args[0]?.toLowerCase();
  if (name === 'eval' || name === 'evalsha') return args.slice(3, 3 + Number(args[2]));
  if (name === 'get' || name === 'set') return args.slice(1, 2);
  throw new Error(`unexpected command ${name}`);
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP relay to Redis that can be stopped (dropping every connection) and started again. */
export async function createProxy(targetPort: number, targetHost: string) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(targetPort, targetHost);
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
    down.pipe(up).pipe(down);
  });
  let port = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const stop = async () => {
    for (const s of sockets) s.destroy();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  };
  await start();
  return {
    get port() {
      return port;
    },
    start,
    stop,
  };
}
