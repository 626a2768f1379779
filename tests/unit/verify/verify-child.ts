/**
 * Helpers of the verify group's tests (here, tests/integration/cli/verify-readers): a verify in a
 * process of its own, driven line by line (verify-child-entry.ts), and the corpora they read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const repo = resolve(__dirname, '../../..');

export interface VerifyChild {
  child: ChildProcess;
  /** Resolves with the first line it printed that starts with `prefix`. */
  said(prefix: string): Promise<string>;
  /** The first line starting with one of `prefixes`, or `ended <code>` when it ends before printing one. */
  saidOrEnded(...prefixes: string[]): Promise<string>;
  /** Writes a line to its stdin. */
  tell(line: string): void;
  /** Its exit code, once its output was all read. */
  ended: Promise<number | null>;
}

/** A verify-child-entry.ts process in `mode` on `dir` (see there), as another user when `as` is given. */
export function verifyChild(mode: 'hold' | 'two' | 'once', dir: string, as?: { uid: number; gid: number }): VerifyChild {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'tests/unit/verify/verify-child-entry.ts'), mode, dir], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'inherit'],
    ...(as ?? {}),
  });
  let out = '';
  const waiters: Array<{ prefix: string; resolve: (l: string) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      const line = out.split('\n').find((l) => l.startsWith(w.prefix));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.on('data', (d) => {
    out += String(d);
    check();
  });
  // 'close': after its output was all read (an 'exit' may come before the last lines).
  const ended = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const said = (prefix: string) =>
    new Promise<string>((r) => {
      waiters.push({ prefix, resolve: r });
      check();
    });
  return {
    child,
    said,
    saidOrEnded: (...prefixes) => Promise.race([...prefixes.map(said), ended.then((code) => `ended ${code}`)]),
    tell: (line) => child.stdin!.write(`${line}\n`),
    ended,
  };
}

/**
 * A temp folder for this test file's corpora, made before its tests and removed after them:
 * `corpus(name)` makes `<temp>/<name>` holding raw/ and an empty manifest.jsonl (enough for a verify
 * to take it as a corpus folder); `base()` is the temp folder.
 */
export function corporaIn(prefix: string): { corpus(name: string): Promise<string>; base(): string } {
  let base = '';
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });
  return {
    base: () => base,
    async corpus(name) {
      const dir = join(base, name);
      await mkdir(join(dir, 'raw'), { recursive: true });
      await writeFile(join(dir, 'manifest.jsonl'), '');
      return dir;
    },
  };
}
