/**
 * A verify in a process of its own, for verify-readers.test.ts: holds `<dir>` as `fanout verify`
 * does (verify/verify-folder.ts) and reads until told. Prints `reading` once inside (or `error:
 * <code>` when refused); a line on stdin ends the read (`done`), `exit` ends the process inside it
 * (process.exit, as a second Ctrl-C does).
 */
import { createInterface } from 'node:readline';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';

const dir = process.argv[2]!;
const lines = createInterface({ input: process.stdin });
const next = () => new Promise<string>((r) => lines.once('line', r));

withFolderForVerify(dir, async () => {
  process.stdout.write('reading\n');
  if ((await next()) === 'exit') process.exit(0);
}).then(
  () => {
    process.stdout.write('done\n');
    process.exit(0);
  },
  (err: { code?: string; message?: string }) => {
    process.stdout.write(`error: ${err.code ?? ''} ${err.message ?? ''}\n`);
    process.exit(1);
  },
);
