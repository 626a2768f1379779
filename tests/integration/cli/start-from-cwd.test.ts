/**
 * `npm start` without the built CLI (out/renderer built, out/cli not) serves the browser UI from the
 * TypeScript sources through tsx. bin/start.js gave tsx's loader as a bare `--import tsx`, which node
 * resolves from the current folder: started from outside the checkout (`node ~/fanout/bin/start.js`)
 * the server never came up ("Cannot find package 'tsx'"). The sibling of from-source-cwd.test.ts's bug.
 *
 * A checkout of that shape is made in a temp folder (copyCheckout), with out/renderer/index.html and no out/cli.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckout } from '../../harness/checkout-copy';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-start-cwd-'));
  const root = join(dir, 'checkout');
  await copyCheckout(root);
  await mkdir(join(root, 'out', 'renderer'), { recursive: true });
  await writeFile(join(root, 'out', 'renderer', 'index.html'), '<!doctype html><title>Fanout</title>\n');
  await mkdir(join(dir, 'elsewhere'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm start from the sources, run outside the checkout', () => {
  it(
    'serves the browser UI',
    async () => {
      const child = spawn(process.execPath, [join(dir, 'checkout', 'bin', 'start.js'), '--port', '0', '--data-dir', join(dir, 'data')], {
        cwd: join(dir, 'elsewhere'),
        env: { ...process.env, FANOUT_WEB: '1', FANOUT_DEBUG: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output: string[] = [];
      child.stderr.on('data', (d: Buffer) => output.push(String(d)));
      const url = await new Promise<string | null>((resolveUrl) => {
        const timer = setTimeout(() => resolveUrl(null), CLI_FROM_SOURCE_TEST_MS - 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolveUrl(null);
        });
        createInterface({ input: child.stdout }).on('line', (line) => {
          output.push(line);
          const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolveUrl(m[0]);
          }
        });
      });
      try {
        expect(url, output.join('\n')).not.toBeNull();
        const page = await fetch(url!);
        expect(page.status).toBe(200);
      } finally {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(kill);
        }
      }
    },
    CLI_FROM_SOURCE_TEST_MS,
  );
});
