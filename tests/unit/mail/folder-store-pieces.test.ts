import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeMeta, tempDirEach } from './store-bed';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { readIndexFile, type IndexRecord } from '../../../electron/engine/mail/index-file';

const meta = (uid: number) => storeMeta(uid);

/** `bytes` cut at `cuts` into views of one larger buffer, as literal-pieces.ts hands a body over (socket chunks' views). */
function piecesOf(bytes: Buffer, cuts: number[]): Uint8Array[] {
  const chunk = Buffer.concat([Buffer.from('* 1 FETCH (BODY[] {n}\r\n'), bytes, Buffer.from(')\r\n')]);
  const start = chunk.indexOf(bytes);
  const ends = [...cuts, bytes.length];
  const out: Uint8Array[] = [];
  let from = 0;
  for (const end of ends) {
    out.push(chunk.subarray(start + from, start + end));
    from = end;
  }
  return out;
}

describe('FolderStore.writeMessage takes a body in pieces (literal-pieces.ts), not joined', () => {
  let dir = '';
  tempDirEach('fanout-store-pieces-', (d) => (dir = d));

  it('the file, its size, sha256 and mtime are those of the whole message, for any cut (empty pieces, 1,500 pieces past IOV_MAX)', async () => {
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i} of the body\r\n`).join(''));
    const whole = createHash('sha256').update(body).digest('hex');
    const cases: number[][] = [[], [1], [body.length - 1], [0, 0, 5], [10, 10, 20, body.length], Array.from({ length: 1500 }, (_, i) => (i + 1) * 40)];
    const store = await FolderStore.open(dir, 'INBOX');
    const recs: IndexRecord[] = [];
    for (const [i, cuts] of cases.entries()) {
      const rec = await store.writeMessage(piecesOf(body, cuts), meta(i + 1));
      recs.push(rec);
      expect(rec.size).toBe(body.length);
      expect(rec.sha256).toBe(whole);
      const file = join(dir, rec.file);
      expect(readFileSync(file).equals(body)).toBe(true);
      expect(statSync(file).mtime.getTime()).toBe(Date.UTC(2020, 1, 3));
    }
    // One buffer still works as before.
    recs.push(await store.writeMessage(body, meta(99)));
    await store.close();
    const lines: IndexRecord[] = [];
    for await (const r of readIndexFile(join(dir, 'index.jsonl'))) lines.push(r);
    expect(lines.map((r) => [r.uid, r.size, r.sha256])).toEqual(recs.map((r) => [r.uid, body.length, whole]));
  });
});
