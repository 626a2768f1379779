import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerCleanCommand } from '../../../electron/cli/clean-command';
import { isTempName } from '../../../electron/engine/output/atomic-file';
import { durableRename, recordFsyncs } from '../../harness';

const BOOK = [
  'The Project Gutenberg eBook of A Test, by Someone',
  '',
  '*** START OF THE PROJECT GUTENBERG EBOOK A TEST ***',
  '',
  'The body of the book, which is what is kept.',
  '',
  '*** END OF THE PROJECT GUTENBERG EBOOK A TEST ***',
  '',
  'The licence text that is removed.',
  '',
].join('\n');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-clean-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

// `fanout clean --out-dir`: each cleaned file whole after a power cut, or not there at all.
describe.runIf(process.platform === 'linux')('fanout clean --out-dir', () => {
  it('writes each cleaned file through a unique temp file, fsynced before the rename and the folder after', async () => {
    const input = join(dir, 'book.txt');
    await writeFile(input, BOOK);
    const out = join(dir, 'out');
    await mkdir(out);
    const target = join(out, 'book.txt');
    const events = await recordFsyncs(out, () => target);
    const program = new Command().exitOverride();
    registerCleanCommand(program);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await program.parseAsync(['node', 'fanout', 'clean', input, '--out-dir', out]);
    stderr.mockRestore();
    const cleaned = await readFile(target, 'utf8');
    expect(cleaned).toContain('The body of the book');
    expect(cleaned).not.toContain('licence');
    expect(await readdir(out)).toEqual(['book.txt']);
    const { fileSync, dirSync } = durableRename(events, out, (e) => e.size === Buffer.byteLength(cleaned));
    expect(fileSync, JSON.stringify(events)).toBeGreaterThanOrEqual(0);
    expect(isTempName(basename(events[fileSync]!.path))).toBe(true);
    expect(dirSync, JSON.stringify(events)).toBeGreaterThan(fileSync);
  });
});
