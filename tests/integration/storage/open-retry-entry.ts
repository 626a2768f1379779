// Test entry (open-retry-emfile.test.ts): `<case> <dir>`. One open of the storage layer made while
// this process has no file descriptor left (a real EMFILE: the limit is low, prlimit, and every
// descriptor is taken first). The descriptors are freed when the first pause of the resource retry
// (core/resource-retry.ts, 250 ms) is scheduled: an open that is tried again then succeeds, one that
// is not fails at once; the outcome depends on counts, never on timing. Prints one JSON line.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESOURCE_RETRY_DELAYS_MS } from '../../../electron/engine/core/resource-retry';
import { LOCK_FILE, acquireOutputLock } from '../../../electron/engine/output/output-lock';
import { PartFile } from '../../../electron/engine/output/part-file';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';

const [which, dir] = [process.argv[2]!, process.argv[3]!];
const codeOf = (err: unknown) => `error: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`;

const fds: number[] = [];
let retried = 0;
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: () => void, ms?: number) => {
  if (ms === RESOURCE_RETRY_DELAYS_MS[0] && fds.length > 0) {
    retried++;
    for (const fd of fds.splice(0)) closeSync(fd);
  }
  return realSetTimeout(fn, ms);
}) as typeof setTimeout;
/** Takes every descriptor (EMFILE from now on, until the first retry's pause frees them). */
function takeAll(): void {
  try {
    for (let i = 0; i < 100_000; i++) fds.push(openSync('/dev/null', 'r'));
  } catch {
    // EMFILE: the limit is reached
  }
}

async function run(): Promise<string> {
  if (which === 'part') {
    takeAll();
    const part = new PartFile(join(dir, 'book.txt.part'), false);
    await part.write([Buffer.from('hello')]);
    await part.close();
    return readFileSync(join(dir, 'book.txt.part'), 'utf8') === 'hello' ? 'ok' : 'short';
  }
  if (which === 'lock') {
    takeAll();
    const lock = await acquireOutputLock(dir, 'gutenberg');
    await lock.release();
    return 'ok';
  }
  if (which === 'verify') {
    takeAll();
    // Inside: whether this verify holds the folder's lock (a verify that met EMFILE at its guard read
    // the folder as one it cannot write: no lock, a job could start writing meanwhile).
    return withFolderForVerify(dir, async () => (JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid === process.pid ? 'ok' : 'not locked');
  }
  throw new Error(`unknown case ${which}`);
}

const outcome = await run().catch(codeOf);
for (const fd of fds.splice(0)) closeSync(fd);
process.stdout.write(`${JSON.stringify({ outcome, retried })}\n`);
