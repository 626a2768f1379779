import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookText } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture, MISSING, BOOKS } from './gutenberg-fixture';
import { runFanoutCli } from '../../harness/fanout-cli';

/** Runs `fanout …` from the TypeScript sources (the build is smoke-tested separately). */
const fanout = (args: string[], env: Record<string, string> = {}) => runFanoutCli(args, { env, timeoutMs: 60_000 });

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

describe('fanout gutenberg', () => {
  it('prints a JSON summary and exits non-zero with the failures listed', async () => {
    const out = join(fx.dir, 'cli-all');
    const r = await fanout(['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--workers', '4', '--strategy', 'queue', '--out', out, '--attempts', '1', '--json']);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ kind: 'gutenberg', status: 'failed', itemsDone: BOOKS.length - 1, itemsFailed: 1, workers: 4, strategy: 'queue' });
    expect(summary.failures[0].error.code).toBe('BOOK_NOT_FOUND');
    expect(summary.workerBusy).toHaveLength(4);
    expect(r.stderr).toContain(`${MISSING}`);
    expect(existsSync(join(out, 'clean', '1342.txt'))).toBe(false);
    expect(existsSync(join(out, 'clean', '5.txt'))).toBe(true);
  });

  it('exits 0 when every selected book succeeds, with a human summary', async () => {
    const out = join(fx.dir, 'cli-some');
    const r = await fanout(['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.ftp.url, '--ids', '5,1001-1004,2000-2002', '--workers', '2', '--strategy', 'split', '--out', out]);
    expect(r.stderr).toMatch(/SUCCEEDED: 8 books done/);
    expect(r.stderr).toMatch(/worker busy: #1 \d+% {2}#2 \d+%/);
    expect(r.code).toBe(0);
  });

  it('rejects bad input with a clear message and exit code 2', async () => {
    const bad = await fanout(['gutenberg', '--catalog', fx.catalogPath, '--mirror', 'gopher://x', '--out', join(fx.dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/mirror/);
    const ids = await fanout(['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '12-x', '--out', join(fx.dir, 'x')]);
    expect(ids.code).not.toBe(0);
    expect(ids.stderr).toMatch(/"12-x" is not an ebook number or range/);
  });
});

describe('fanout clean', () => {
  it('prints one cleaned file and writes several into --out-dir', async () => {
    const a = join(fx.dir, 'a-0.txt');
    const b = join(fx.dir, 'b-8.txt');
    await writeFile(a, bookText({ ebook: 77, title: 'Alpha Book', sizeBytes: 4000 }));
    await writeFile(b, Buffer.from(bookText({ ebook: 78, title: 'Beta Book', sizeBytes: 4000 }), 'latin1'));
    const one = await fanout(['clean', a]);
    expect(one.code).toBe(0);
    expect(one.stdout.startsWith('ALPHA BOOK')).toBe(true);
    expect(one.stdout).not.toMatch(/PROJECT GUTENBERG/);

    const outDir = join(fx.dir, 'cleaned');
    const many = await fanout(['clean', a, b, '--out-dir', outDir]);
    expect(many.code).toBe(0);
    expect((await readFile(join(outDir, 'a-0.txt'), 'utf8')).startsWith('ALPHA BOOK')).toBe(true);
    const beta = await readFile(join(outDir, 'b-8.txt'), 'utf8');
    expect(beta.startsWith('BETA BOOK')).toBe(true);
    expect(beta).toMatch(/café|naïve|señor|Müller/);
  });
});
