import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The FTP client (basic-ftp, ~15-20 ms of CPU to load) is loaded by an FTP session's first call, not by
 * the mirror module: an HTTP job never loads it. Checked in a fresh node process (basic-ftp is CommonJS:
 * once loaded it is in require.cache).
 */
const run = promisify(execFile);
const engine = (p: string) => fileURLToPath(new URL(`../../../electron/engine/${p}`, import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-ftp-lazy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('an HTTP mirror and the Gutenberg job load no FTP client; an FTP session loads it at its first call', async () => {
  const script = join(dir, 'probe.mjs');
  await writeFile(
    script,
    `import { createRequire } from 'node:module';
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('basic-ftp'));
const { openMirror } = await import(${JSON.stringify(engine('mirror/index.ts'))});
await import(${JSON.stringify(engine('gutenberg/run-gutenberg-job.ts'))});
const http = openMirror('http://127.0.0.1:9/gutenberg', { timeoutMs: 1000 });
http.openSession(0);
await http.close();
const afterHttp = loaded();
const ftp = openMirror('ftp://127.0.0.1:9/gutenberg', { timeoutMs: 1000 });
const session = ftp.openSession(0);
const afterOpen = loaded();
const err = await session.fetchFile('x', { dest: ${JSON.stringify(join(dir, 'x'))} }).then(() => null, (e) => e.code);
await ftp.close();
console.log(JSON.stringify({ afterHttp, afterOpen, afterCall: loaded(), err }));
`,
  );
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../../..', import.meta.url)) });
  expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ afterHttp: false, afterOpen: false, afterCall: true, err: 'CONNECTION_REFUSED' });
}, 60_000);
