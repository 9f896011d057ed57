// Start-up of the real process (issue 15 item 3): with NODE_ENV=production it refuses to start
// open, naming each way in, exit 1; elsewhere it starts and says so loudly, one line each; and
// API_ENABLED=false turns /api/query off.
import { describe, expect, it } from 'vitest';
import { startGateway } from './helpers/gateway-process.ts';

describe('start-up', () => {
  it('in production, refuses to start open: exit 1, each variable named', async () => {
    const failed = await startGateway({ NODE_ENV: 'production', PHONE_HASH_SECRET: '' }).then(
      async (gw) => {
        await gw.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(failed).toMatch(/^gateway exited with 1:/);
    expect(failed).toContain('[config] 3 bad variable(s)');
    for (const name of ['CALLBACK_SECRET', 'PHONE_HASH_SECRET', 'API_TOKEN'])
      expect(failed).toContain(`${name}="": required with NODE_ENV=production`);
  });

  it('in production, starts once protected, with the API turned off', async () => {
    const gw = await startGateway({
      NODE_ENV: 'production',
      CALLBACK_SECRET: 'startup-callback-secret-0123',
      API_ENABLED: 'false',
    });
    try {
      const res = await fetch(`${gw.url}/api/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: 'u', query: 'q' }),
      });
      expect(res.status).toBe(404);
      expect(gw.output()).not.toContain('[security]');
    } finally {
      await gw.stop();
    }
  });

  it('elsewhere, starts open and warns of each way in at start-up', async () => {
    const gw = await startGateway({ PHONE_HASH_SECRET: '' });
    try {
      const warnings = gw
        .output()
        .split('\n')
        .filter((l) => l.includes('[security]'))
        .map((l) => JSON.parse(l) as { level: number; variable: string });
      expect(warnings.map((w) => [w.level, w.variable])).toEqual([
        [40, 'CALLBACK_SECRET'],
        [40, 'PHONE_HASH_SECRET'],
        [40, 'API_TOKEN'],
      ]);
    } finally {
      await gw.stop();
    }
  });
});
