/**
 * Servers the harness starts die with the test process that started them, however it ends: a
 * vitest killed hard (SIGKILL, an OOM kill, a CI timeout) never ran its afterAll, and the servers it
 * had started (each detached in a process group of its own, so no terminal signal reaches them)
 * lived on, holding ports and temp folders. Here a child process starts vsftpd, nginx and Dovecot
 * through the harness and is SIGKILLed: each server is gone within a few seconds.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delay } from '../../harness';

const repo = resolve(__dirname, '../../..');
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-server-lifetime-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('harness servers and a test process killed hard', () => {
  it('vsftpd, nginx and Dovecot end when the process that started them is SIGKILLed', async () => {
    const script = join(dir, 'start-servers.mts');
    const h = (f: string) => JSON.stringify(join(repo, 'tests/harness', f));
    await writeFile(
      script,
      `import { mkdirSync, writeFileSync } from 'node:fs';
import { startFtpServer } from ${h('ftp-server.ts')};
import { startNginxServer } from ${h('nginx-server.ts')};
import { startDovecot } from ${h('dovecot.ts')};
const root = ${JSON.stringify(join(dir, 'root'))};
mkdirSync(root, { recursive: true });
writeFileSync(root + '/a.txt', 'a');
const ftp = await startFtpServer({ root });
const nginx = await startNginxServer({ root });
const dovecot = await startDovecot({});
process.stdout.write(JSON.stringify([ftp.pid, nginx.pid, dovecot.pid]) + '\\n');
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    for (let i = 0; i < 1200 && !out.includes('\n') && child.exitCode === null; i++) await delay(50);
    expect(out, err).toMatch(/^\[\d+,\d+,\d+\]\n/);
    const pids = JSON.parse(out) as number[];
    expect(pids.map(alive)).toEqual([true, true, true]);
    child.kill('SIGKILL');
    await exited;
    // Bounded: a server still there after 10 s is left (the test then fails and names it).
    for (let i = 0; i < 100 && pids.some(alive); i++) await delay(100);
    const left = pids.filter(alive);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    expect(left, 'servers that outlived the process that started them').toEqual([]);
  }, 120_000);
});
