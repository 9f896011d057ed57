// A worker thread's TypeScript source made runnable where there is no bundle (tests, `npm run
// dev`): bundled once per process with esbuild, as `npm run build` does for `npm start`, and
// started from the code. Registering tsx's loader in each worker instead took ~350 ms per worker
// (every test that opens a log starts one). Never used by the bundle.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const bundled = new Map<string, string>();

/** A worker running the .ts file at `url`, bundled to CommonJS in memory (once per process). */
export function startDevWorker(url: URL, options: WorkerOptions): Worker {
  let code = bundled.get(url.href);
  if (code === undefined) {
    code = bundle(fileURLToPath(url));
    bundled.set(url.href, code);
  }
  return new Worker(code, { ...options, eval: true });
}

function bundle(entry: string): string {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    packages: 'external',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error(`[sqlite] esbuild produced nothing for ${entry}`);
  // Packages are required by absolute path: eval'd code resolves bare names from the process's
  // working directory, which may be anywhere. (esbuild's synchronous API takes no plugins.)
  return file.text.replace(/require\("([^".][^"]*)"\)/g, (call, name: string) =>
    name.startsWith('node:') ? call : `require(${JSON.stringify(require.resolve(name))})`,
  );
}
