// Tells the knowledge base that KNOWLEDGE_DIR changed: one fs.watch on the directory and one on
// each language folder (Node's recursive watch on Linux is recent; two levels are all we read).
// Directory watches see editors' write-to-temp-then-rename saves, which a file watch would lose.
// Events come in bursts (one save is several), so they are debounced into one call.
import { type FSWatcher, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface DirectoryWatch {
  close(): void;
}

/** Resolves once every folder there is now is watched. */
export async function watchDirectory(
  dir: string,
  onChange: () => void,
  debounceMs = 150,
): Promise<DirectoryWatch> {
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const add = (path: string) => {
    if (closed || watchers.has(path)) return;
    try {
      const w = watch(path, { persistent: false }, schedule);
      // A watched folder removed, or the watch limit reached: drop it; the next sync re-adds.
      w.on('error', () => {
        w.close();
        watchers.delete(path);
      });
      watchers.set(path, w);
    } catch {
      // The folder vanished between the listing and the watch.
    }
  };

  /** Watches the language folders there are now, and forgets the ones that are gone. */
  const sync = async () => {
    add(dir);
    let subdirs: string[] = [];
    try {
      subdirs = (await readdir(dir, { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => join(dir, e.name));
    } catch {
      // The directory itself is gone: the reload reports it.
    }
    for (const path of subdirs) add(path);
    for (const [path, w] of watchers) {
      if (path !== dir && !subdirs.includes(path)) {
        w.close();
        watchers.delete(path);
      }
    }
  };

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void sync().then(() => {
        if (!closed) onChange();
      });
    }, debounceMs);
  }

  await sync();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
