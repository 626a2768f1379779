import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bundleCli } from '../build/cli-bundle.mjs';

/**
 * A tree as `fanout` is installed (bin/fanout.js, relaunch.js, node-flags.js and out/cli/ bundled
 * from this checkout's sources, so never a stale out/), in its own folder inside the repository
 * (the externals resolve from node_modules; one folder per bench and process: several benches may
 * build at once on a shared checkout); returns its bin/fanout.js.
 */
export async function buildCliTree(label: string): Promise<string> {
  const root = resolve(`node_modules/.cache/fanout-bench/${label}-cli-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'bin'), { recursive: true });
  for (const f of ['fanout.js', 'relaunch.js', 'node-flags.js']) await copyFile(resolve('bin', f), join(root, 'bin', f));
  await copyFile(resolve('package.json'), join(root, 'package.json'));
  await bundleCli(resolve('.'), join(root, 'out', 'cli'));
  return join(root, 'bin', 'fanout.js');
}
