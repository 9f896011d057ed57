// The scale profile's balancer with the real HAProxy (Debian's `haproxy`; .ci/run installs it) in
// front of the real gateway process: deploy/haproxy.cfg as shipped, only its addresses changed
// to loopback ports. With TRUST_PROXY=1 (the profile's setting) the gateway sees the caller HAProxy
// appended, never one the caller wrote itself (issue 15 item 2): an ALLOWED_IPS check holds.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, type GatewayProcess, startGateway } from '../helpers/gateway-process.ts';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

/** HAProxy with deploy/haproxy.cfg, listening on a free port, balancing over `gateways`. */
async function startHaproxy(gateways: GatewayProcess[]): Promise<string> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ussd-haproxy-'));
  const cfg = readFileSync('deploy/haproxy.cfg', 'utf8')
    .replace(/^\s*bind :3000$/m, `  bind 127.0.0.1:${port}`)
    .replace(/^\s*server .*\n/gm, '')
    .concat(gateways.map((g, i) => `  server gateway-${i + 1} 127.0.0.1:${g.port}\n`).join(''));
  writeFileSync(join(dir, 'haproxy.cfg'), cfg);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {}); // not installed: the wait below fails, naming it
  running.push({
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('haproxy did not serve /healthz (is it installed? apt-get install haproxy; .ci/run does)');
}

async function gateway(allowedIps: string): Promise<GatewayProcess> {
  const g = await startGateway({ TRUST_PROXY: '1', ALLOWED_IPS: allowedIps, LOG_LEVEL: 'warn' });
  running.push(g);
  return g;
}

const hop = (url: string, forwardedFor: string) =>
  fetch(`${url}/ussd`, {
    method: 'POST',
    headers: { 'x-forwarded-for': forwardedFor },
    body: new URLSearchParams({
      sessionId: `ATUid_lb${Math.random().toString(36).slice(2)}`,
      serviceCode: '*384*123#',
      phoneNumber: '+254711000001',
      networkCode: '63902',
      text: '',
    }),
  });

describe('deploy/haproxy.cfg in front of a gateway with TRUST_PROXY=1', () => {
  it('the caller is the address HAProxy appended, not one the caller wrote', async () => {
    // The caller here is 127.0.0.1, claiming to be 203.0.113.7 (an address it hopes is allowed).
    const allowsLoopback = await gateway('127.0.0.1');
    const allowsClaimed = await gateway('203.0.113.7');
    const lbLoopback = await startHaproxy([allowsLoopback]);
    const lbClaimed = await startHaproxy([allowsClaimed]);

    const through = await hop(lbLoopback, '203.0.113.7');
    expect(through.status).toBe(200);
    expect(await through.text()).toMatch(/^CON Welcome to Ask/);
    const spoofed = await hop(lbClaimed, '203.0.113.7');
    expect(spoofed.status).toBe(403);
  }, 60_000);
});
