// Several Ollama hosts (issue 13 §2): one down, one without the model, one slow, one fast; every
// question goes where it can be answered, the broken hosts are skipped until a check finds them
// healthy, and no host ever has more than its slots at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peakConcurrency } from '../../bench/lib/ask-scenario.ts';
import { createAnswerer } from '../../src/inference/answerer.ts';
import { createFaq } from '../../src/inference/faq.ts';
import { createModelHosts } from '../../src/inference/hosts.ts';
import { createOllamaModel } from '../../src/inference/ollama.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMemorySlotPool } from '../../src/queue/memory-slots.ts';
import type { AnswerProgress } from '../../src/types.ts';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { askFor, closedPort, FAST, MODEL, mapCache, recordingLog, until } from './support.ts';

let fast: FakeOllama;
let slow: FakeOllama;
let lacking: FakeOllama;
let downUrl: string;
beforeAll(async () => {
  fast = await startFakeOllama({ answer: 'Fast host answer.', tokenMs: 20 });
  slow = await startFakeOllama({ answer: 'Slow host answer.', tokenMs: 150 });
  lacking = await startFakeOllama({ models: ['qwen2.5:1.5b'] });
  downUrl = `http://127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  await Promise.all([fast.close(), slow.close(), lacking.close()]);
});

describe('several model hosts', () => {
  it('answers every question on the hosts that can, skipping the down one and the one without the model', async () => {
    const urls = [downUrl, lacking.url, slow.url, fast.url];
    const models = urls.map((host) => createOllamaModel({ host, model: MODEL, numCtx: 2048 }));
    const hosts = createModelHosts({
      models,
      slots: createMemorySlotPool(urls.map(() => 2)),
      logger: silentLogger(),
      slotsPerHost: 2,
    });
    const answerer = createAnswerer({
      hosts,
      cache: mapCache(),
      log: recordingLog(),
      faq: createFaq([]),
      logger: silentLogger(),
      options: { ...FAST, maxConcurrent: 2, answerTimeoutMs: 5000 },
    });
    const finals = new Map<string, AnswerProgress>();
    const asks = Array.from({ length: 12 }, (_, i) => {
      const a = askFor(`question ${i}`, 100);
      a.req.onProgress = (p) => {
        if (p.done) finals.set(a.req.questionId, p);
        return finals.size;
      };
      return a;
    });
    const first = await Promise.all(asks.map((a) => answerer.ask(a.req)));
    first.forEach((p, i) => {
      const id = asks[i]?.req.questionId ?? '';
      if (p.done) finals.set(id, p);
    });
    await until(() => finals.size === 12, 15_000, 'twelve answers');
    for (const p of finals.values()) {
      expect(p.failure).toBeUndefined();
      expect(['Fast host answer.', 'Slow host answer.']).toContain(p.text);
    }
    // The host without the model was tried by at most its two slots at once, then skipped; the slow
    // one took its share.
    expect(lacking.generations().length).toBeLessThanOrEqual(2);
    expect(slow.generations().length).toBeGreaterThan(0);
    expect(fast.generations().length).toBeGreaterThan(slow.generations().length);
    for (const f of [fast, slow]) expect(peakConcurrency(f.generations())).toBeLessThanOrEqual(2);
    expect((await hosts.readiness()).detail).toMatch(/not pulled/);
    await answerer.close();
  });

  it('a host that comes back is used again once a check finds it healthy', async () => {
    const flaky = await startFakeOllama({ answer: 'Back again.', status: 500 });
    const models = [createOllamaModel({ host: flaky.url, model: 'not-here', numCtx: 2048 })];
    const hosts = createModelHosts({
      models,
      slots: createMemorySlotPool([1]),
      logger: silentLogger(),
      slotsPerHost: 1,
    });
    hosts.failed(0, 'model-missing');
    // No healthy host left: questions still try it (its slot counts), none is preferred.
    expect(hosts.otherUsable(-1)).toBe(false);
    expect(hosts.unusable()).toBe('model-missing');
    expect(hosts.usableSlots()).toBe(1);
    flaky.set({ models: ['not-here'] });
    await until(() => hosts.otherUsable(-1), 8000, 'the periodic check');
    hosts.close();
    await flaky.close();
  });
});
