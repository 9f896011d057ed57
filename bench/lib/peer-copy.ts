// A writable copy of the peer harness (../shared/bench-peer): shared/ is read-only in CI, and its
// run.sh would `npm ci` inside it. The copy lives in the OS temp dir, keyed by a hash of the
// harness's files, so its dependencies are installed once and reused by later runs. It must not
// write into shared/ nor into the project: the peer's code is not ours to commit.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCommand } from './procs.ts';

const PACKAGES = ['.', 'limit', 'peer'];
const INSTALL_TIMEOUT_MS = 180_000;

/** Returns the path of a ready copy of `source` with its three packages installed. */
export async function preparePeerCopy(source: string, log: (line: string) => void): Promise<string> {
  if (!existsSync(join(source, 'load.mjs')))
    throw new Error(`[bench] no peer harness at ${source} (set BENCH_PEER_DIR)`);
  const dir = join(tmpdir(), `ussd-bench-peer-${fingerprint(source)}`);
  const marker = join(dir, '.installed');
  if (existsSync(marker)) return dir;

  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true, filter: (src) => !src.split('/').includes('node_modules') });
  makeWritable(dir);
  for (const pkg of PACKAGES) {
    log(`installing the peer harness's dependencies in ${join(dir, pkg)} (once)`);
    await runCommand(['npm', 'ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: join(dir, pkg),
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
  }
  writeFileSync(marker, new Date().toISOString());
  return dir;
}

/** A hash of every file of the harness but node_modules, so a changed harness gets a fresh copy. */
function fingerprint(source: string): string {
  const hash = createHash('sha256');
  for (const file of listFiles(source).sort()) {
    hash.update(relative(source, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 12);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules') return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) makeWritable(path);
    else chmodSync(path, 0o644);
  }
}
