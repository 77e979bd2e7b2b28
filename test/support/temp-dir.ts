// Temporary folders for tests: created under the OS temp dir, removed by whoever made them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TempDir {
  path: string;
  /** deletes the folder and all in it; safe to call twice */
  remove(): void;
}

/** A new empty folder named `<prefix>XXXXXX` in the OS temp dir. */
export function createTempDir(prefix = 'telemq-test-'): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A new folder removed when the test (or suite: node:test's `after`) ends. */
export function tempDirFor(t: { after(fn: () => unknown): void }, prefix = 'telemq-test-'): string {
  const dir = createTempDir(prefix);
  t.after(() => dir.remove());
  return dir.path;
}
