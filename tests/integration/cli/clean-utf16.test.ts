import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../harness/fanout-cli';

/**
 * `fanout clean` refused UTF-16 texts ("convert it first"), while the download path read them as
 * windows-1252 (mojibake): the two now share the scrubber's decoding, and a UTF-16 text, with or
 * without its byte-order mark, little- or big-endian, is cleaned to the same UTF-8 as the UTF-8 file.
 */
const repo = resolve(__dirname, '../../..');
const BOOK = '*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\nÇa ira — “naïve”, 1 €.\r\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\n';
const CLEAN = 'Ça ira — “naïve”, 1 €.\n';
const le = (bom: boolean) => Buffer.concat([Buffer.from(bom ? [0xff, 0xfe] : []), Buffer.from(BOOK, 'utf16le')]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-clean-utf16-'));
  await writeFile(join(dir, 'le-bom.txt'), le(true));
  await writeFile(join(dir, 'be-bom.txt'), le(true).swap16());
  await writeFile(join(dir, 'le.txt'), le(false));
  await writeFile(join(dir, 'be.txt'), le(false).swap16());
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The CLI from its sources (tsx), so the scrub threads of --out-dir find their worker script. */
const fanout = (args: string[]) => runProcess(process.execPath, ['--import', 'tsx', join(repo, 'electron/cli/index.ts'), ...args], { cwd: repo, env: { ...process.env, FANOUT_DEBUG: '' }, timeoutMs: 60_000 });

describe('fanout clean: UTF-16 texts', () => {
  it('one file to stdout: the UTF-8 text', async () => {
    const r = await fanout(['clean', join(dir, 'le-bom.txt')]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(CLEAN);
  });

  it('each form into --out-dir: the same UTF-8 text', async () => {
    const names = ['le-bom.txt', 'be-bom.txt', 'le.txt', 'be.txt'];
    const out = join(dir, 'out');
    const r = await fanout(['clean', ...names.map((n) => join(dir, n)), '--out-dir', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const n of names) expect(await readFile(join(out, n), 'utf8'), n).toBe(CLEAN);
  });
});
