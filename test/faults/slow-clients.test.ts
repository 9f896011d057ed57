// Issue 15 item 7, against the real server process with real slow connections: ~1,000 connections
// dripping a byte every few seconds made every normal hop fail, and slow-body connections stayed
// open past 105 s (Node's request timeout is 300 s). AT's forms are tiny: the gateway now cuts a
// connection that has not sent its headers within HTTP_HEADERS_TIMEOUT_MS, or its whole request
// within HTTP_REQUEST_TIMEOUT_MS, caps connections per address and in all, and a phone dialling
// meanwhile is served as usual. A slow answer (longer than the request timeout) still goes out.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, DEADLINE_MS, fault, SCREENS, sleep, startingWith } from './support.ts';

const HEADERS_TIMEOUT_MS = 1_500;
const REQUEST_TIMEOUT_MS = 3_000;
const PER_ADDRESS = 50;

let gw: FaultGateway;
let fake: FakeOllama;
beforeAll(async () => {
  fake = await startFakeOllama({
    answer: 'Long rains start in March.',
    firstTokenMs: REQUEST_TIMEOUT_MS + 1_000,
  });
  gw = await startFaultGateway({
    OLLAMA_HOST: fake.url,
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HTTP_MAX_CONNECTIONS_PER_IP: String(PER_ADDRESS),
    ANSWER_TIMEOUT_MS: '10000',
  });
});
afterAll(async () => {
  await gw?.dispose();
  await fake?.close();
});

interface Attacker {
  sockets: Socket[];
  closedAt: (number | null)[];
}

/** `n` connections from `from` (a loopback address of their own), each starting with `first`. */
async function open(n: number, from: string, first: string): Promise<Attacker> {
  const a: Attacker = { sockets: [], closedAt: [] };
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const socket = connect({ port: gw.port, host: '127.0.0.1', localAddress: from });
      a.sockets.push(socket);
      a.closedAt.push(null);
      socket.on('error', () => {});
      // Reads what the server sends (a 408): a socket nobody reads from never sees it closed.
      socket.resume();
      socket.once('close', () => {
        a.closedAt[i] = Date.now();
      });
      return new Promise<void>((resolve) => {
        socket.once('connect', () => {
          if (first) socket.write(first);
          resolve();
        });
        socket.once('close', () => resolve());
      });
    }),
  );
  return a;
}

const stillOpen = (a: Attacker) => a.closedAt.filter((t) => t === null).length;

describe('slow clients', () => {
  it('dripping headers, dripping bodies and idle connections are cut; phones are served meanwhile', () =>
    fault('Slow connections (700 dripping, 100 idle, from 3 addresses)', async (t) => {
      const started = Date.now();
      const headers = await open(600, '127.0.0.2', 'POST /ussd HTTP/1.1\r\nHost: gw\r\nX-Drip: ');
      const bodies = await open(
        100,
        '127.0.0.3',
        'POST /ussd HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nsessionId=',
      );
      const idle = await open(100, '127.0.0.4', '');
      const attackers = [headers, bodies, idle];
      const drip = setInterval(() => {
        for (const s of [...headers.sockets, ...bodies.sockets]) if (!s.destroyed) s.write('a');
      }, 500);
      const hop = createDialer(gw.url, t);
      const hops: number[] = [];
      try {
        // A phone walking sessions throughout, from its own address.
        for (let i = 0; Date.now() - started < REQUEST_TIMEOUT_MS + 2_500; i++) {
          const r = await hop({ sessionId: `slow-${i}`, text: '' });
          expect(r.body).toMatch(startingWith(SCREENS.main));
          hops.push(r.ms);
          await sleep(200);
        }
      } finally {
        clearInterval(drip);
      }
      const open1 = attackers.map(stillOpen);
      for (const a of attackers) for (const s of a.sockets) s.destroy();
      t.injected = true;
      const lived = (a: Attacker) =>
        Math.max(0, ...a.closedAt.map((c) => (c === null ? Date.now() : c) - started));
      t.note =
        `after ${Math.round((Date.now() - started) / 1000)} s still open: headers ${open1[0]}/600, bodies ${open1[1]}/100, idle ${open1[2]}/100; ` +
        `longest lived ${Math.max(...attackers.map(lived))} ms; phone: ${hops.length} hops, max ${Math.max(...hops)} ms`;
      expect(open1).toEqual([0, 0, 0]);
      expect(Math.max(...hops)).toBeLessThan(DEADLINE_MS);
      expect(crashLines(gw.output())).toEqual([]);
      t.rowsExpected = hops.length;
      t.rowsFound = await settledRows(gw.dbPath, hops.length, {
        sql: "SELECT count(*) AS n FROM hops WHERE session_id LIKE 'slow-%'",
      });
    }));

  it('an answer that takes longer than the request timeout still goes out', async () => {
    const started = Date.now();
    const res = await fetch(`${gw.url}/api/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'slow-api', query: 'When do the long rains start?' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { response: string }).response).toBe('Long rains start in March.');
    expect(Date.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS);
  });
});
