import { copyFile, mkdir, readdir, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '../..');

/**
 * A checkout of Fanout at `root` without a build: bin/ and package.json copied (bin/*.js find their
 * root from their own path), the sources and node_modules linked to this one. The caller adds the
 * out/ it needs (none, a stale one, the renderer only).
 */
export async function copyCheckout(root: string): Promise<void> {
  await mkdir(join(root, 'bin'), { recursive: true });
  for (const f of await readdir(join(repo, 'bin'))) await copyFile(join(repo, 'bin', f), join(root, 'bin', f));
  for (const f of ['electron', 'shared', 'node_modules']) await symlink(join(repo, f), join(root, f));
  await copyFile(join(repo, 'package.json'), join(root, 'package.json'));
}
