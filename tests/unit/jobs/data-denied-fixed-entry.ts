/**
 * For data-denied-fixed.test.ts, run as the owner of `<dir>`'s files (nobody when the test is root):
 * settings.json and hosts.json are mode 000 (this user may not read them); a save is tried, the
 * permissions are fixed (0600, as the refusal tells the user), and a save is tried again in the same
 * process. Prints what each save gave and what the files hold then, as JSON.
 */
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostMemory } from '../../../electron/engine/jobs/host-memory';
import { defaultSettings, SettingsStore } from '../../../electron/engine/jobs/settings-store';

async function main(dir: string): Promise<void> {
  const settings = new SettingsStore(dir, defaultSettings(join(dir, 'out')));
  await settings.get();
  const code = (err: unknown) => (err as { code?: string }).code ?? String(err);
  const save1 = await settings.set({ workers: 3 }).then(() => 'saved', code);
  const hosts = new HostMemory(dir);
  const before = await hosts.isLockStep('old.example');
  await hosts.rememberLockStep('first.example', 'denied meanwhile');
  await chmod(join(dir, 'settings.json'), 0o600);
  await chmod(join(dir, 'hosts.json'), 0o600);
  const save2 = await settings.set({ workers: 5 }).then(() => 'saved', code);
  await hosts.rememberLockStep('second.example', 'after the fix');
  const settingsFile = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>;
  const hostsFile = JSON.parse(await readFile(join(dir, 'hosts.json'), 'utf8')) as { lockStep: Record<string, unknown> };
  process.stdout.write(`${JSON.stringify({ save1, save2, damage: settings.damage, before, settings: settingsFile, lockStep: Object.keys(hostsFile.lockStep).sort() })}\n`);
}

void main(process.argv[2]!);
