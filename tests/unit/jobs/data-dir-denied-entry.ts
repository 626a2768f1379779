/** For data-dir-denied.test.ts: reads `<file>` as a data-folder file, then tries to set it aside with that read; prints both outcomes as JSON. */
import { readDataJson, setAsideDamaged } from '../../../electron/engine/jobs/data-dir';

async function main(file: string): Promise<void> {
  const read = await readDataJson(file);
  const aside = await setAsideDamaged(file, read).then(
    (keptAs) => ({ keptAs }),
    (err: { code?: string; message?: string }) => ({ code: err.code, message: err.message }),
  );
  const denied = read.kind === 'damaged' && read.denied ? { code: read.denied.code, message: read.denied.message } : null;
  process.stdout.write(`${JSON.stringify({ read: { kind: read.kind, denied }, aside })}\n`);
}

void main(process.argv[2]!);
