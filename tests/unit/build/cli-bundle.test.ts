/**
 * The CLI bundle's changes to npm packages' start-up (build/cli-bundle.mjs): the lazy stand-ins
 * (LAZY_IMPORTS), the load-time patch of libmime (LOAD_TIME_PATCHES) and zod's locales other than
 * English loaded on first use (zodLocales). Each must leave behaviour
 * as it is: a script using the patched and stand-in paths prints the same bundled as run from
 * node_modules. A new libmime whose code no longer matches the patch fails here (the build would
 * only warn and bundle it unpatched, losing ~30 ms of every mail job's start-up).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyImports, loadTimePatches, zodLocales } from '../../../build/cli-bundle.mjs';

const run = promisify(execFile);
const repo = resolve(__dirname, '../../..');
let dir = '';

// Decodes through libmime's stream decoder (the patched comparison: GBK takes its double-byte path),
// its encoded words (GBK; ISO-2022-JP through the encoding-japanese stand-in) and imapflow's import.
const SCRIPT = `
import libmime from 'libmime';
import { ImapFlow } from 'imapflow';
import { z } from 'zod';
import * as zm from 'zod/mini';
const zodEn = z.string().safeParse(1).error.issues[0].message;
z.config(z.locales.fr());
const zodFr = z.string().safeParse(1).error.issues[0].message;
z.config(z.locales.en());
// zod/mini (shared/job-spec.ts, shared/ipc-schemas.ts) re-exports the same locales through its own index.
zm.config(zm.locales.fr());
const zodMiniFr = zm.string().safeParse(1).error.issues[0].message;
zm.config(zm.locales.en());
const stream = libmime.createDecodeStream('gbk');
const parts = [];
stream.on('data', (d) => parts.push(d));
stream.on('end', () => console.log(JSON.stringify({
  stream: Buffer.concat(parts).toString(),
  gbk: libmime.decodeWords('=?GBK?B?1tDOxNb3zOI=?='),
  jis: libmime.decodeWords('=?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?='),
  imapflow: typeof ImapFlow,
  zodEn,
  zodFr,
  zodMiniFr,
  zodMiniEn: zm.number().safeParse('x').error.issues[0].message,
  zodEnAgain: z.number().safeParse('x').error.issues[0].message,
})));
stream.write(Buffer.from('d6d0cec4', 'hex'));
stream.end(Buffer.from('d6f7cce2', 'hex'));
`;

beforeAll(async () => {
  const cache = join(repo, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  dir = await mkdtemp(join(cache, 'fanout-bundle-test-')); // packages resolve from the repository
  await writeFile(join(dir, 'check.mjs'), SCRIPT);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the CLI bundle\'s lazy imports, load-time patch and zod locales', () => {
  it('apply to the current packages, and the bundled script prints what the unbundled one prints', async () => {
    const result = await build({
      entryPoints: [join(dir, 'check.mjs')],
      outfile: join(dir, 'bundled.mjs'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      plugins: [lazyImports, loadTimePatches, zodLocales],
      banner: { js: "import { createRequire as __fanoutCreateRequire } from 'node:module'; const require = __fanoutCreateRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const bundled = await readFile(join(dir, 'bundled.mjs'), 'utf8');
    expect(bundled).toContain("dbcsDecoder ??= import_iconv_lite.default.getCodec(\"gbk\")");
    for (const name of ['pino', 'socks', 'encoding-japanese']) expect(bundled).toContain(`// lazy-import:${name} for `);
    const [plain, fromBundle] = await Promise.all([run(process.execPath, [join(dir, 'check.mjs')]), run(process.execPath, [join(dir, 'bundled.mjs')])]);
    // zod's French messages are not in the bundle (only English is), yet z.locales.fr() still works,
    // through classic zod and through zod/mini.
    expect(bundled).toContain('zod/v4/locales/index.cjs');
    // (esbuild writes ASCII: "Entrée" would be "Entr\xE9e" there; "attendu" is French's own word, plain.)
    expect(bundled).not.toContain('attendu');
    expect(JSON.parse(plain.stdout)).toEqual({
      stream: '中文主题',
      gbk: '中文主题',
      jis: '日本語の件名',
      imapflow: 'function',
      zodEn: 'Invalid input: expected string, received number',
      zodFr: expect.stringContaining('Entrée invalide'),
      zodMiniFr: expect.stringContaining('Entrée invalide'),
      zodMiniEn: 'Invalid input: expected number, received string',
      zodEnAgain: 'Invalid input: expected number, received string',
    });
    expect(fromBundle.stdout).toBe(plain.stdout);
  }, 60_000);

  it('commander loads node:child_process at its first spawn, not as it loads, and still spawns an executable subcommand', async () => {
    await writeFile(join(dir, 'child.mjs'), "console.log('hello from the subcommand');\n");
    await writeFile(
      join(dir, 'sub.mjs'),
      `import { Command } from 'commander';
const loaded = () => process.moduleLoadList.includes('NativeModule child_process');
const program = new Command();
program.command('hello', 'says hello', { executableFile: ${JSON.stringify(join(dir, 'child.mjs'))} });
console.log(JSON.stringify({ childProcessLoaded: loaded() }));
program.parse(['node', 'sub', 'hello']);
`,
    );
    const result = await build({ entryPoints: [join(dir, 'sub.mjs')], outfile: join(dir, 'sub-bundled.mjs'), bundle: true, format: 'esm', platform: 'node', target: 'node20', plugins: [lazyImports, loadTimePatches, zodLocales], banner: { js: "import { createRequire as __fanoutCreateRequire } from 'node:module'; const require = __fanoutCreateRequire(import.meta.url);" }, logLevel: 'silent' });
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const [plain, fromBundle] = await Promise.all([run(process.execPath, [join(dir, 'sub.mjs')]), run(process.execPath, [join(dir, 'sub-bundled.mjs')])]);
    expect(plain.stdout).toBe('{"childProcessLoaded":true}\nhello from the subcommand\n');
    expect(fromBundle.stdout).toBe('{"childProcessLoaded":false}\nhello from the subcommand\n');
  }, 60_000);
});
