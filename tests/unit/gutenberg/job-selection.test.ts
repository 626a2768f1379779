import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobSelection, KEEP_SELECTED } from '../../../electron/engine/gutenberg/job-selection';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-selection-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function catalogOf(name: string, books: number, badRows = 0): Promise<string> {
  const rows = Array.from({ length: books }, (_, i) => `Anon,${i + 1},Book ${i + 1}`);
  for (let i = 0; i < badRows; i++) rows.splice(1 + i, 0, 'Anon,not-a-number,Bad');
  const file = join(dir, name);
  await writeFile(file, ['author,FileNumber,Title', ...rows, ''].join('\n'));
  return file;
}

async function ebooks(selection: JobSelection): Promise<number[]> {
  const out: number[] = [];
  for await (const e of selection.entries(new AbortController().signal)) out.push(e.ebook);
  return out;
}

describe('JobSelection', () => {
  it('keeps a small selection from its one read, and tallies bad rows once', async () => {
    const file = await catalogOf('small.csv', 20, 2);
    const s = await JobSelection.read(file, { ids: [{ from: 3, to: 7 }] }, new AbortController().signal);
    expect(s.total).toBe(5);
    expect(s.kept).toBe(true);
    expect(s.badRows.count).toBe(2);
    await rm(file); // no second read: the entries come from memory
    expect(await ebooks(s)).toEqual([3, 4, 5, 6, 7]);
    expect(s.badRows.count).toBe(2);
  });

  it('streams a selection bigger than KEEP_SELECTED again (memory flat in the job size)', async () => {
    const file = await catalogOf('big.csv', KEEP_SELECTED + 3, 1);
    const s = await JobSelection.read(file, {}, new AbortController().signal);
    expect(s.total).toBe(KEEP_SELECTED + 3);
    expect(s.kept).toBe(false);
    const all = await ebooks(s);
    expect(all).toHaveLength(KEEP_SELECTED + 3);
    expect(all.at(-1)).toBe(KEEP_SELECTED + 3);
    expect(s.badRows.count).toBe(1); // the second read does not count them again
  });
});
