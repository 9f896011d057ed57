// The callback guards (protocol/guard.ts), issue 15 items 2 and 11: the caller's address is the
// right-most X-Forwarded-For entry that is not itself a trusted proxy (a client writes whatever it
// likes on the left), TRUST_PROXY names the proxies (a hop count or their addresses), and an
// address that cannot be read is refused with 403, never an error.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddress, type GuardOptions, ipGuard, type TrustProxy } from '../../src/protocol/guard.ts';

/** A request as @hono/node-server hands it over: the socket's address in env.incoming. */
function request(app: Hono, socket: string, forwarded?: string) {
  const headers: Record<string, string> = forwarded === undefined ? {} : { 'x-forwarded-for': forwarded };
  return app.request('/', { headers }, { incoming: { socket: { remoteAddress: socket } } });
}

function addressApp(trust: TrustProxy) {
  const app = new Hono();
  app.get('/', (c) => c.text(clientAddress(c, trust) ?? '(unreadable)'));
  return app;
}

const LB = '10.0.0.2';
const CASES: [string, TrustProxy, string, string | undefined, string][] = [
  [
    'no proxy trusted: the socket, whatever the header says',
    { hops: 0 },
    '203.0.113.7',
    '10.9.9.9',
    '203.0.113.7',
  ],
  ['one hop: what the load balancer appended', { hops: 1 }, LB, '10.9.9.9, 203.0.113.7', '203.0.113.7'],
  ['one hop, no header: the socket', { hops: 1 }, LB, undefined, LB],
  ['two hops', { hops: 2 }, LB, '10.9.9.9, 203.0.113.7, 10.0.0.3', '203.0.113.7'],
  ['more hops than entries: the left-most', { hops: 3 }, LB, '203.0.113.7', '203.0.113.7'],
  [
    'named proxy: right-most not a proxy',
    { proxies: ['10.0.0.0/24'] },
    LB,
    '10.9.9.9, 203.0.113.7, 10.0.0.3',
    '203.0.113.7',
  ],
  ['named proxy, forged left entries ignored', { proxies: [LB] }, LB, '10.9.9.9, 203.0.113.7', '203.0.113.7'],
  ['not from a named proxy: the socket', { proxies: [LB] }, '198.51.100.4', '10.9.9.9', '198.51.100.4'],
  ['all entries proxies: the left-most', { proxies: ['10.0.0.0/8'] }, LB, '10.0.0.9, 10.0.0.3', '10.0.0.9'],
  ['an IPv4-mapped socket address', { proxies: [LB] }, `::ffff:${LB}`, '203.0.113.7', '203.0.113.7'],
  ['a port on the entry', { hops: 1 }, LB, '203.0.113.7:5123', '203.0.113.7'],
  ['IPv6 in brackets with a port', { hops: 1 }, LB, '[2001:db8::1]:443', '2001:db8::1'],
  ['garbage where the client is', { hops: 1 }, LB, 'not-an-ip', '(unreadable)'],
  ['garbage behind a named proxy', { proxies: [LB] }, LB, '203.0.113.7, %%%', '(unreadable)'],
  ['an empty entry', { hops: 1 }, LB, '203.0.113.7, ', '(unreadable)'],
];

describe('clientAddress', () => {
  it.each(CASES)('%s', async (_what, trust, socket, forwarded, expected) => {
    expect(await (await request(addressApp(trust), socket, forwarded)).text()).toBe(expected);
  });
});

describe('ipGuard', () => {
  const guarded = (options: Pick<GuardOptions, 'allowedIps' | 'trustProxy'>) => {
    const app = new Hono();
    app.use('*', ipGuard(options));
    app.get('/', (c) => c.text('in'));
    return app;
  };

  it('lets in an allowed client behind the load balancer, not a forged left-most entry', async () => {
    const app = guarded({ allowedIps: ['203.0.113.0/24'], trustProxy: { hops: 1 } });
    expect((await request(app, LB, '198.51.100.9, 203.0.113.7')).status).toBe(200);
    // What a load balancer appending the real client forwards when that client wrote the left part.
    const forged = await request(app, LB, '203.0.113.7, 198.51.100.9');
    expect(forged.status).toBe(403);
    expect(await forged.text()).toBe('Forbidden: 198.51.100.9 is not allowed\n');
  });

  it.each(['garbage', '', ', ,', '999.1.1.1', '1'.repeat(5000), '203.0.113.7%eth0'])(
    'answers a header that cannot be read (case %#) with 403, not an error',
    async (header) => {
      const app = guarded({ allowedIps: ['203.0.113.0/24'], trustProxy: { hops: 1 } });
      app.onError(() => new Response('threw', { status: 500 }));
      const res = await request(app, LB, header);
      expect(res.status).toBe(403);
      expect(await res.text()).toBe('Forbidden: unknown address is not allowed\n');
    },
  );

  it('checks IPv6 ranges and single addresses', async () => {
    const app = guarded({ allowedIps: ['2001:db8::/32', '192.0.2.7'], trustProxy: { hops: 0 } });
    expect((await request(app, '2001:db8::5')).status).toBe(200);
    expect((await request(app, '192.0.2.7')).status).toBe(200);
    expect((await request(app, '::ffff:192.0.2.7')).status).toBe(200);
    expect((await request(app, '192.0.2.8')).status).toBe(403);
  });
});
