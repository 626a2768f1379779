/**
 * Verifies of a folder in a process of their own, for the verify group's tests (verify-leave-fails,
 * verify-folder-gone, verify-guard-readonly, verify-folder-crash; integration cli/verify-readers). `<mode> <dir>`; lines on stdin say what to do next, lines on stdout what
 * happened, so every step of a test waits for the other's line (no timing).
 * - `hold`: one verify; `reading` once inside (or `error: <code> <message>` when refused, exit
 *   1); then `exit` ends the process inside it (process.exit, as a second Ctrl-C does),
 *   `limit-exit` the same after this process may write no byte more (RLIMIT_FSIZE 0: every write
 *   of a file fails, EFBIG, as on a full disk), any other line ends the verify (`done`).
 * - `two`: the desktop host's case, two verifies in this process, the second started inside the
 *   first; once both read, this process may write no byte more (as above) and the first ends,
 *   handing the lock over to the second (which fails): `first: <its result or error>`; an empty
 *   line ends the second (`second: …`); then the process waits for a line before it exits.
 * - `once`: one verify, as it is (`result: ok` or `error: <code> <message>`), then exits.
 */
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';

const [mode, dir] = [process.argv[2]!, process.argv[3]!];
const lines = createInterface({ input: process.stdin });
const pending: string[] = [];
const waiting: Array<(l: string) => void> = [];
lines.on('line', (l) => (waiting.length > 0 ? waiting.shift()!(l) : pending.push(l)));
const next = () => new Promise<string>((r) => (pending.length > 0 ? r(pending.shift()!) : waiting.push(r)));
const say = (line: string) => process.stdout.write(`${line}\n`);
/** From now on no write of a file by this process succeeds (stdout, a pipe, still works). */
const noMoreBytes = () => execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=0:0']);
const described = (err: unknown) => `error: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`;

async function main(): Promise<void> {
  if (mode === 'once') {
    say(await withFolderForVerify(dir, async () => 'result: ok').catch(described));
  } else if (mode === 'hold') {
    const refused = await withFolderForVerify(dir, async () => {
      say('reading');
      const what = await next();
      if (what === 'limit-exit') noMoreBytes();
      if (what === 'exit' || what === 'limit-exit') process.exit(0);
    }).then(() => null, described);
    if (refused) {
      say(refused);
      process.exit(1);
    }
    say('done');
  } else if (mode === 'two') {
    let second!: Promise<string>;
    let inside!: () => void;
    const secondInside = new Promise<void>((r) => (inside = r));
    const first = await withFolderForVerify(dir, async () => {
      second = withFolderForVerify(dir, async () => {
        inside();
        await next();
        return 'second ok';
      }).catch(described);
      await secondInside;
      noMoreBytes();
      return 'first ok';
    }).catch(described);
    say(`first: ${first}`);
    say(`second: ${await second}`);
    await next();
  }
  process.exit(0);
}

void main();
