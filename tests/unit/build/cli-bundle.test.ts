/**
 * The CLI bundle's two changes to npm packages' start-up (build/cli-bundle.mjs): the lazy stand-ins
 * (LAZY_IMPORTS) and the load-time patch of libmime (LOAD_TIME_PATCHES). Both must leave behaviour
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
import { lazyImports, loadTimePatches } from '../../../build/cli-bundle.mjs';

const run = promisify(execFile);
const repo = resolve(__dirname, '../../..');
let dir = '';

// Decodes through libmime's stream decoder (the patched comparison: GBK takes its double-byte path),
// its encoded words (GBK; ISO-2022-JP through the encoding-japanese stand-in) and imapflow's import.
const SCRIPT = `
import libmime from 'libmime';
import { ImapFlow } from 'imapflow';
const stream = libmime.createDecodeStream('gbk');
const parts = [];
stream.on('data', (d) => parts.push(d));
stream.on('end', () => console.log(JSON.stringify({
  stream: Buffer.concat(parts).toString(),
  gbk: libmime.decodeWords('=?GBK?B?1tDOxNb3zOI=?='),
  jis: libmime.decodeWords('=?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?='),
  imapflow: typeof ImapFlow,
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

describe('the CLI bundle\'s lazy imports and load-time patch', () => {
  it('apply to the current packages, and the bundled script prints what the unbundled one prints', async () => {
    const result = await build({
      entryPoints: [join(dir, 'check.mjs')],
      outfile: join(dir, 'bundled.mjs'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      plugins: [lazyImports, loadTimePatches],
      banner: { js: "import { createRequire as __fanoutCreateRequire } from 'node:module'; const require = __fanoutCreateRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const bundled = await readFile(join(dir, 'bundled.mjs'), 'utf8');
    expect(bundled).toContain("dbcsDecoder ??= import_iconv_lite.default.getCodec(\"gbk\")");
    for (const name of ['pino', 'socks', 'encoding-japanese']) expect(bundled).toContain(`// lazy-import:${name} for `);
    const [plain, fromBundle] = await Promise.all([run(process.execPath, [join(dir, 'check.mjs')]), run(process.execPath, [join(dir, 'bundled.mjs')])]);
    expect(JSON.parse(plain.stdout)).toEqual({ stream: '中文主题', gbk: '中文主题', jis: '日本語の件名', imapflow: 'function' });
    expect(fromBundle.stdout).toBe(plain.stdout);
  }, 60_000);
});
