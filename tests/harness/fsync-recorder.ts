import { existsSync, readlinkSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { vi } from 'vitest';

/** One fsync: the path behind the descriptor, its size, and whether `watched` existed then. */
export interface SyncEvent {
  path: string;
  size: number;
  watchedExisted: boolean;
}

/**
 * Records every FileHandle.sync() of this process (Linux: the path comes from /proc/self/fd), to
 * check a rename is durable: the file's bytes fsynced before it (the target absent then), its
 * folder after it. `watched()` names the rename's target. Undo with `vi.restoreAllMocks()`.
 */
export async function recordFsyncs(scratchDir: string, watched: () => string): Promise<SyncEvent[]> {
  const events: SyncEvent[] = [];
  const probePath = join(scratchDir, '.fsync-probe');
  const probe = await open(probePath, 'w');
  type Handle = { fd: number; stat(): Promise<{ size: number }>; sync(): Promise<void> };
  const proto = Object.getPrototypeOf(probe) as Handle;
  await probe.close();
  await rm(probePath);
  const realSync = proto.sync;
  vi.spyOn(proto, 'sync').mockImplementation(async function (this: Handle) {
    const path = readlinkSync(`/proc/self/fd/${this.fd}`);
    events.push({ path, size: (await this.stat()).size, watchedExisted: existsSync(watched()) });
    return realSync.call(this);
  });
  return events;
}

/** The file fsynced (target absent) before its folder was fsynced (target present); -1s when not. */
export function durableRename(events: SyncEvent[], folder: string, isFile: (e: SyncEvent) => boolean): { fileSync: number; dirSync: number } {
  const fileSync = events.findIndex((e) => e.path !== folder && !e.watchedExisted && isFile(e));
  const dirSync = events.findIndex((e, i) => i > fileSync && fileSync >= 0 && e.path === folder && e.watchedExisted);
  return { fileSync, dirSync };
}
