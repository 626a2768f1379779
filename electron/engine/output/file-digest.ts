import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Size and sha256 of a file, streamed (constant memory); null when it does not exist. */
export async function digestFile(path: string): Promise<{ bytes: number; sha256: string } | null> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return null;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return { bytes: st.size, sha256: hash.digest('hex') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
