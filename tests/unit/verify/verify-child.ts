/** A verify-child-entry.ts process (see there): `said(prefix)` resolves with the first line starting so; `tell` writes a line to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '../../..');

export interface VerifyChild {
  child: ChildProcess;
  said(prefix: string): Promise<string>;
  /** The first line starting with one of `prefixes`, or `ended <code>` when it ends before printing one. */
  saidOrEnded(...prefixes: string[]): Promise<string>;
  tell(line: string): void;
  ended: Promise<number | null>;
}

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
