// A private, throw-away redis-server on a free loopback port, for tests that stop, pause or scan
// Redis (the fault suite, issue 8): no persistence, its own temp dir, never the shared :6379.
// Stoppable and restartable on the same port. No vitest imports: plain scripts may use it too.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './gateway-process.ts';

export interface RedisServer {
  port: number;
  url: string;
  /** Starts it again on the same port (after stop()). */
  start(): Promise<void>;
  /** SHUTDOWN NOSAVE, or SIGKILL when it does not answer; resolves once the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL, as a crashed host would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Runs redis-cli against it and returns the trimmed reply. */
  cli(...args: string[]): Promise<string>;
  /** Every key (SCAN, not KEYS, as an operator would). */
  keys(): Promise<string[]>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** `extraArgs`: more redis-server options (e.g. `--replicaof 127.0.0.1 <port>`). */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ussd-redis-'));
  let child: ChildProcess | null = null;

  const cli = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout.trim()),
      );
    });

  async function start(): Promise<void> {
    if (child) return;
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = null;
    });
    const started = Date.now();
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      if (
        await cli('PING').then(
          (r) => r === 'PONG',
          () => false,
        )
      )
        return;
      if (Date.now() - started > 5_000) throw new Error(`redis-server on :${port} did not answer PING`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    await cli('SHUTDOWN', 'NOSAVE').catch(() => proc.kill('SIGKILL'));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
    await gone;
    clearTimeout(killer);
  }

  async function kill(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await gone;
  }

  async function keys(): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      // --raw keeps keys with odd bytes as they are, one per line after the cursor.
      const out = await cli('--raw', 'SCAN', cursor, 'COUNT', '1000');
      const [next, ...rest] = out.split('\n');
      found.push(...rest.filter((k) => k !== ''));
      cursor = next ?? '0';
      if (cursor === '0') break;
    }
    return found;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    kill,
    cli,
    keys,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
