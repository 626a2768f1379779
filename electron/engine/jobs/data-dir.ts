import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The per-user data dir of the web host and the CLI: $FANOUT_DATA_DIR, else ~/.fanout (the desktop
 * app keeps its own under Electron's userData). What it holds: settings, history, catalogs, and what
 * jobs learnt about servers (host-memory.ts).
 */
export function defaultDataDir(): string {
  return process.env.FANOUT_DATA_DIR ?? join(homedir(), '.fanout');
}
