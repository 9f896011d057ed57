// Starts the real gateway (`tsx src/main.ts`) as a child process on a free loopback port, for
// end-to-end tests, the simulator tests, the fault suite and the benchmark. No vitest imports:
// plain scripts use it too.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote (pino JSON lines and stderr). */
  output(): string;
  /** What it wrote to stdout alone: the logger's JSON lines, and nothing else (issue 15 item 16). */
  stdout(): string;
  /** SIGTERM, then the exit code (SIGKILL after `graceMs`; null when a signal ended it); removes its temp dir. */
  stop(graceMs?: number): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts the gateway with `env` on top of safe test defaults; resolves once /healthz answers. */
export async function startGateway(
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<GatewayProcess> {
  // A given PORT is kept (a restart on the same address, a callback URL known in advance).
  const port = env['PORT'] ? Number(env['PORT']) : await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ussd-gw-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: join(dir, 'ussd.db'),
      OLLAMA_HOST: 'http://127.0.0.1:9',
      OLLAMA_WARMUP: 'false',
      LOG_LEVEL: 'info',
      PHONE_HASH_SECRET: 'test-secret-0123456789abcdef',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not become healthy in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    child,
    output: () => output,
    stdout: () => stdout,
    stop: (graceMs = 10_000) =>
      new Promise((resolveExit) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          rmSync(dir, { recursive: true, force: true });
          return resolveExit(child.exitCode);
        }
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', (code) => {
          clearTimeout(kill);
          rmSync(dir, { recursive: true, force: true });
          resolveExit(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Posts one hop as AT does (urlencoded form, '+' as %2B). */
export async function postHop(
  url: string,
  fields: {
    sessionId: string;
    text: string;
    phoneNumber?: string;
    serviceCode?: string;
    networkCode?: string;
  },
): Promise<{ status: number; body: string; type: string }> {
  const body = new URLSearchParams({
    serviceCode: '*384*123#',
    phoneNumber: '+254711000001',
    networkCode: '63902',
    ...fields,
  });
  const res = await fetch(url, { method: 'POST', body });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}
