// End to end: the real server (`node --import tsx src/main.ts`) on a free port, real HTTP, real
// Redis, a real SQLite file, a fake Ollama on loopback; then SIGTERM and a clean exit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from './helpers/fake-ollama.ts';
import { type GatewayProcess, postHop, startGateway } from './helpers/gateway-process.ts';
import { REDIS_URL, sessionId } from './support/build-app.ts';

let ollama: FakeOllama;
let gateway: GatewayProcess;
beforeAll(async () => {
  ollama = await startFakeOllama();
  gateway = await startGateway({
    OLLAMA_HOST: ollama.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: `test:e2e:${process.pid}:`,
  });
});
afterAll(async () => {
  await gateway?.stop();
  await ollama?.close();
});

describe('the real server', () => {
  it('serves a whole session over HTTP and exits 0 on SIGTERM', async () => {
    const url = `${gateway.url}/ussd`;
    const id = sessionId();
    const first = await postHop(url, { sessionId: id, text: '' });
    expect(first).toMatchObject({
      status: 200,
      body: 'CON Welcome to Ask\n1. Ask a question\n2. My account\n3. Help\n4. About',
    });
    expect(first.type).toMatch(/^text\/plain/);
    expect((await postHop(url, { sessionId: id, text: '1' })).body).toBe(
      'CON Type your question.\nLeft today: 5\n0. Back',
    );
    expect((await postHop(url, { sessionId: id, text: '1*what is malaria' })).body).toMatch(
      /^CON Malaria is spread by mosquitoes\./,
    );
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(await ready.json()).toMatchObject({
      ready: true,
      sessions: { ok: true, driver: 'redis' },
      ollama: { ok: true },
    });
    expect(await gateway.stop()).toBe(0);
    // No phone number in clear in the logs at info level.
    expect(gateway.output()).not.toContain('254711000001');
    expect(gateway.output()).toContain(`"sessionId":"${id}"`);
  });

  it('refuses to start on bad config, naming each variable', async () => {
    await expect(startGateway({ PORT: 'x', HOP_DEADLINE_MS: '-1' })).rejects.toThrow(
      /PORT="x"[\s\S]*HOP_DEADLINE_MS="-1"/,
    );
  });

  it('refuses to start on a bad menu, naming the file and the screen', async () => {
    await expect(startGateway({ MENUS_DIR: 'test/fixtures/menus/invalid' })).rejects.toThrow(
      /more\.yaml screens\.broken\.options/,
    );
  });
});

describe('start-up without Ollama', () => {
  it('says where it looked and which model to pull', async () => {
    const absent = await startGateway({ OLLAMA_WARMUP: 'true', OLLAMA_MODEL: 'qwen2.5:1.5b' });
    try {
      const started = Date.now();
      while (!absent.output().includes('Ollama is not ready') && Date.now() - started < 10_000)
        await new Promise((r) => setTimeout(r, 100));
      const line = absent
        .output()
        .split('\n')
        .find((l) => l.includes('Ollama is not ready'));
      expect(line).toContain('http://127.0.0.1:9');
      expect(line).toContain('ollama pull qwen2.5:1.5b');
    } finally {
      await absent.stop();
    }
  });
});
