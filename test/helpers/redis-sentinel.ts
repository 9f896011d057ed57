// A private Redis Sentinel group for tests (issue 19): a master and a replica (redis-server.ts) and
// three real `redis-sentinel` processes, each on a free loopback port with its own writable config
// (Sentinel rewrites it) in a temp dir. Without the redis-sentinel binary (Debian's
// `redis-sentinel` package; .ci/run installs it) it throws: a test that needs it fails, never skips.
// No vitest imports: plain scripts may use it too.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './gateway-process.ts';
import { type RedisServer, startRedisServer } from './redis-server.ts';

export interface SentinelGroupOptions {
  /** The master group's name (REDIS_SENTINEL_NAME). */
  name?: string;
  /** How long a master may not answer before a sentinel thinks it down (Sentinel's default: 30 s). */
  downAfterMs?: number;
}

export interface SentinelGroup {
  name: string;
  /** The gateway's environment for this group: REDIS_SENTINELS and REDIS_SENTINEL_NAME. */
  env: Record<string, string>;
  sentinelPorts: number[];
  /** The data nodes, master first at the start; either may be master later. */
  nodes: RedisServer[];
  /** The port the sentinels name master now (asks the first that answers). */
  masterPort(): Promise<number>;
  /** The node the sentinels name master now. */
  master(): Promise<RedisServer>;
  /** Runs redis-cli against a sentinel and returns the trimmed reply. */
  sentinelCli(index: number, ...args: string[]): Promise<string>;
  /** Stops every process and removes every directory. */
  dispose(): Promise<void>;
}

export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = options.name ?? 'ussd-test';
  const downAfterMs = options.downAfterMs ?? 1_000;
  requireSentinelBinary();
  const master = await startRedisServer();
  const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
  const nodes = [master, replica];
  const dir = mkdtempSync(join(tmpdir(), 'ussd-sentinel-'));
  const children: ChildProcess[] = [];
  const sentinelPorts: number[] = [];
  const cli = (port: number, ...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout.trim()),
      );
    });
  try {
    await waitFor(
      async () => (await replica.cli('INFO', 'replication')).includes('master_link_status:up'),
      10_000,
      'the replica to sync with the master',
    );
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          // A failed attempt is retried after twice this; short, so a test's failover completes.
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn('redis-sentinel', [conf], { stdio: 'ignore' });
      children.push(child);
      sentinelPorts.push(port);
    }
    for (const port of sentinelPorts)
      await waitFor(
        async () => (await cli(port, 'SENTINEL', 'ckquorum', name)).startsWith('OK'),
        15_000,
        `sentinel :${port} to see its peers and the replica`,
      );
  } catch (error) {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.dispose()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const masterPort = async () => {
    for (const port of sentinelPorts) {
      const reply = await cli(port, 'SENTINEL', 'get-master-addr-by-name', name).catch(() => '');
      const p = Number(reply.split('\n')[1]);
      if (p > 0) return p;
    }
    throw new Error('no sentinel answered get-master-addr-by-name');
  };
  return {
    name,
    env: {
      REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_SENTINEL_NAME: name,
    },
    sentinelPorts,
    nodes,
    masterPort,
    async master() {
      const port = await masterPort();
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`the sentinels name :${port} master, which is none of the group's nodes`);
      return node;
    },
    sentinelCli: (index, ...args) => cli(sentinelPorts[index] ?? 0, ...args),
    async dispose() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
      await Promise.all(nodes.map((n) => n.dispose()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function requireSentinelBinary(): void {
  const found = spawnSync('redis-sentinel', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0)
    throw new Error(
      'redis-sentinel is not installed: apt-get install redis-sentinel (Debian; .ci/run does it), or put it on PATH',
    );
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
