// The knowledge base at start-up and in `npm run knowledge:check`, as real processes: a broken
// file stops the gateway with exit 1 before it listens, naming the file, the line and the
// problem; the starter base starts and is logged as indexed; the CLI says the same as start-up.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway-process.ts';

let broken: string;
beforeAll(() => {
  broken = mkdtempSync(join(tmpdir(), 'ussd-knowledge-broken-'));
  mkdirSync(join(broken, 'en'));
  writeFileSync(
    join(broken, 'en', 'malaria.md'),
    '# Malaria\n\n## Preventing malaria\nSleep under a net.\nSource: the WHO website\n',
  );
});
afterAll(() => rmSync(broken, { recursive: true, force: true }));

describe.concurrent('start-up', () => {
  it('exits 1 on a broken knowledge file, naming it with its line', async () => {
    const error = await startGateway({ KNOWLEDGE_DIR: broken }).then(
      async (gw) => {
        await gw.stop();
        return null;
      },
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^gateway exited with 1:/);
    expect(error?.message).toContain('[knowledge] 2 problem(s):');
    expect(error?.message).toContain(
      'en/malaria.md:5: Source must be one http(s) URL, not "the WHO website"',
    );
    expect(error?.message).toContain('en/malaria.md:3: "Preventing malaria" has no Source: line');
  });

  it('indexes the starter base and says so', async () => {
    const gw = await startGateway({});
    try {
      const line = gw
        .output()
        .split('\n')
        .find((l) => l.includes('knowledge base indexed'));
      expect(JSON.parse(line ?? '{}')).toMatchObject({ dir: './knowledge', passages: { en: 20, sw: 20 } });
    } finally {
      await gw.stop();
    }
  });
});

describe.concurrent('npm run knowledge:check', () => {
  const run = promisify(execFile);
  const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
  async function check(args: string[]) {
    try {
      const { stdout, stderr } = await run(TSX, ['src/cli/knowledge-check.ts', ...args], {
        env: { PATH: process.env['PATH'] ?? '' },
        timeout: 20_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('passes the starter base', async () => {
    const r = await check([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^\.\/knowledge: ok — 40 passages \(en 20, sw 20\) in 8 files, every one with a source/,
    );
  });

  it('fails a broken directory with the same problems, exit 1', async () => {
    const r = await check([broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('en/malaria.md:5: Source must be one http(s) URL');
  });
});
