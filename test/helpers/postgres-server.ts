// A private, throw-away PostgreSQL 15 on a free loopback port, for tests that stop and start the
// database under load (issue 19), never the machine's own server: initdb into a temp dir, then
// `postgres` on that dir, trust auth on loopback, no fsync (a test's data need not survive a
// power cut, only a killed server). Stopped the hard way (SIGQUIT: immediate shutdown, crash recovery at the next start)
// and started again on the same port and data. PostgreSQL refuses to run as root: as root (CI),
// it runs as the `postgres` user the Debian package creates. No vitest imports.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './gateway-process.ts';

/** The server's binaries: POSTGRES_BIN, else Debian's newest /usr/lib/postgresql/<version>/bin. */
const BIN =
  process.env['POSTGRES_BIN'] ??
  join(
    '/usr/lib/postgresql',
    (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : ['15'])
      .sort((a, b) => Number(a) - Number(b))
      .at(-1) ?? '15',
    'bin',
  );

export interface PostgresServer {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  start(): Promise<void>;
  /** Immediate shutdown (connections cut, no checkpoint); resolves once it is gone. */
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ussd-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const as = (bin: string, args: string[]): [string, string[]] =>
    root ? ['runuser', ['-u', 'postgres', '--', join(BIN, bin), ...args]] : [join(BIN, bin), args];
  const [cmd, args] = as('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  execFileSync(cmd, args, { stdio: 'ignore' });
  let child: ChildProcess | null = null;

  const pid = (): number | null => {
    const file = join(data, 'postmaster.pid');
    if (!existsSync(file)) return null;
    const n = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(n) && n > 0 ? n : null;
  };
  const alive = (p: number) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };
  const ready = () => {
    try {
      execFileSync(join(BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q'], {
        timeout: 2_000,
      });
      return true;
    } catch {
      return false;
    }
  };

  async function start(): Promise<void> {
    if (child) return;
    const [c, a] = as('postgres', [
      ...['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
      // fsync off: a process killed loses nothing the kernel holds. synchronous_commit stays on: a
      // COMMIT acknowledged must survive the immediate shutdown, or the test would lose rows.
      ...['-c', 'fsync=off', '-c', 'full_page_writes=off'],
    ]);
    const proc = spawn(c, a, { stdio: 'ignore' });
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = null;
    });
    const started = Date.now();
    while (!ready()) {
      if (proc.exitCode !== null) throw new Error(`postgres exited with ${proc.exitCode}`);
      if (Date.now() - started > 20_000) throw new Error(`postgres on :${port} did not become ready`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function stop(): Promise<void> {
    const p = pid();
    if (p !== null && alive(p)) {
      process.kill(p, 'SIGQUIT');
      const started = Date.now();
      while (alive(p) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
      if (alive(p)) process.kill(p, 'SIGKILL');
    }
    const proc = child;
    if (proc && proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
    child = null;
  }

  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
