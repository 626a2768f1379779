/**
 * Start-up benchmark: `npm run bench:startup [rounds]` (needs `npm run build`: it times the CLI as
 * installed, `node bin/fanout.js`, which runs the build).
 *
 * Times, interleaved round by round so that machine load hits every variant alike:
 *  - `node -e 0`, the floor every Node program pays, measured in the same run;
 *  - `fanout --help` and `fanout <command> --help` for every command;
 *  - a one-book job's fixed cost: from spawning `fanout gutenberg` to the first request reaching a
 *    local HTTP mirror (which answers 404, so the job then ends at once), as run (re-launched with
 *    the heap flags, bin/relaunch.js) and without the re-launch.
 * Prints the median and p90 of each, and each median as a ratio of `node -e 0`'s (target: help ≤ 2×).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { COMMANDS } from '../electron/cli/commands';

const repo = resolve(import.meta.dirname, '..');
const bin = join(repo, 'bin', 'fanout.js');
const rounds = Math.max(3, Number(process.argv[2] ?? 15));

if (!existsSync(join(repo, 'out/main/electron/cli/index.js'))) {
  process.stderr.write('The CLI is not built: run `npm run build` first (this times the built CLI, as installed).\n');
  process.exit(1);
}

/** Runs a command to its end; resolves with the wall time, ms. */
function timed(args: string[], onSpawn?: (t0: number) => void, env: Record<string, string> = {}): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: repo, stdio: 'ignore', env: { ...process.env, FANOUT_FROM_SOURCE: '', ...env } });
    onSpawn?.(t0);
    child.on('error', fail);
    child.on('exit', () => done(performance.now() - t0));
  });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-startup-'));
  const catalog = join(dir, 'catalog.csv');
  await writeFile(catalog, 'author,FileNumber,Title\nAusten,1342,Pride and Prejudice\n');
  // The "mirror": notes when the first request arrives, answers 404 so the job ends.
  let firstRequest: ((t: number) => void) | null = null;
  const mirror = createServer((req, res) => {
    firstRequest?.(performance.now());
    firstRequest = null;
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', () => r()));
  const mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;

  const variants: Array<{ label: string; run: (round: number) => Promise<number> }> = [
    { label: 'node -e 0', run: () => timed(['-e', '0']) },
    { label: 'fanout --help', run: () => timed([bin, '--help']) },
    ...Object.keys(COMMANDS).map((name) => ({ label: `fanout ${name} --help`, run: () => timed([bin, name, '--help']) })),
    ...[
      { label: 'one-book job: start → first request', env: {} as Record<string, string> },
      // What the re-launch with the heap flags costs (bin/relaunch.js; FANOUT_RELAUNCHED set = no re-launch).
      { label: 'same, not re-launched', env: { FANOUT_RELAUNCHED: '0' } },
    ].map(({ label, env }) => ({
      label,
      run: async (round: number) => {
        let t0 = 0;
        const seen = new Promise<number>((r) => (firstRequest = r));
        const args = [bin, 'gutenberg', '--catalog', catalog, '--mirror', mirrorUrl, '--out', join(dir, `out-${label.length}-${round}`), '--attempts', '1', '--json'];
        await timed(args, (t) => (t0 = t), env);
        return (await seen) - t0;
      },
    })),
  ];
  const ms = new Map(variants.map((v) => [v.label, [] as number[]]));
  for (const v of variants) await v.run(-1); // warm-up: file cache
  for (let round = 0; round < rounds; round++) for (const v of variants) ms.get(v.label)!.push(await v.run(round));
  mirror.close();
  await rm(dir, { recursive: true, force: true });

  const floor = quantile(ms.get('node -e 0')!, 0.5);
  const width = Math.max(...variants.map((v) => v.label.length));
  process.stdout.write(`start-up, ${rounds} rounds (median, p90; ratio = median / node -e 0's median)\n`);
  for (const v of variants) {
    const xs = ms.get(v.label)!;
    const median = quantile(xs, 0.5);
    const ratio = median / floor;
    const verdict = v.label.endsWith('--help') ? (ratio <= 2 ? '  ok (≤ 2×)' : '  OVER the 2× target') : '';
    process.stdout.write(`${v.label.padEnd(width)}  ${median.toFixed(0).padStart(5)} ms  p90 ${quantile(xs, 0.9).toFixed(0).padStart(5)} ms  ${ratio.toFixed(2)}×${verdict}\n`);
  }
}

await main();
