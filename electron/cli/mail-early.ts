import type { MailAccount } from '../../shared/job-spec';
import { checkAutoWorkers, checkHostName } from '../../shared/input-checks';
import { STRATEGIES } from '../../shared/strategy';
import { accountFolderRefusedSync } from '../engine/inputs/account-folder';
import { startEarlyQuickList } from '../engine/mail/quick-list';
import { isAuto, wholeNumber } from './whole-number';

/**
 * `fanout mail`'s first step, taken by bin/fanout.js in its first node before the CLI loads
 * (commander, zod's schemas, the command's modules: ~0.1 s quiet, more under load): a run with
 * nothing new is a quick listing (quick-list.ts) on the wire and a look at the archive's state, so
 * the listing starts here, from the command line read the CLI's way, and its round trips overlap
 * the CLI's loading instead of following it. The CLI then parses and checks the options as always,
 * and its mail command takes this listing up only when the account, folder and timeout it arrives
 * at are the same (startEarlyQuickList compares them field by field); otherwise it is aborted.
 *
 * Read strictly: anything this does not understand exactly (an unknown or repeated option, a value
 * the CLI's option checks or the job spec's schema would refuse, --list-folders, a secret that is
 * not set) and it does nothing, the CLI deciding as before. So a listing starts here only for a
 * command line the CLI accepts, and nothing logs in for one it refuses.
 *
 * Returns what to do next: 'listing' (the listing is under way; run the CLI, which decides whether
 * to re-launch), 'relaunch' (a valid job that will fetch whatever the listing would say: a first
 * run of the account, or one the quick listing leaves to imapflow — STARTTLS, OAuth2, a proxy;
 * re-launch node at once, the CLI in this node would decide so after loading) or null (the CLI
 * decides, as before).
 */
export function startMailEarly(args: readonly string[], env: NodeJS.ProcessEnv = process.env): 'listing' | 'relaunch' | null {
  const o = mailOptionsOf(args);
  if (!o || o.has('list-folders')) return null;
  const text = (name: string) => {
    const v = o.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const host = text('host');
  const user = text('user');
  const out = text('out');
  if (host === undefined || checkHostName(host) !== null || !user || !out) return null;
  const port = text('port') === undefined ? undefined : wholeNumber(text('port')!, 1, 65_535);
  const timeoutMs = text('timeout') === undefined ? 60_000 : wholeNumber(text('timeout')!, 100, 600_000);
  const tls = text('tls') ?? 'implicit';
  const strategy = text('strategy') ?? 'adaptive';
  if (port === null || timeoutMs === null || !['implicit', 'starttls', 'none'].includes(tls) || !(STRATEGIES as readonly string[]).includes(strategy)) return null;
  // --connections and --workers are both checked by the CLI; --workers wins.
  const counts = ['connections', 'workers'].map((n) => (text(n) === undefined ? undefined : countOrAuto(text(n)!)));
  if (counts.includes(null) || (text('max-connections') !== undefined && wholeNumber(text('max-connections')!, 1, 32) === null)) return null;
  const connections = counts[1] ?? counts[0] ?? 4;
  if (checkAutoWorkers(connections === 'auto', strategy) !== null) return null;
  const folders = text('folders') ?? 'all';
  if (folders.trim().toLowerCase() !== 'all' && folders.split(',').every((s) => s.trim() === '')) return null;
  const passwordVar = text('password-env');
  const tokenVar = text('token-env');
  if ((passwordVar === undefined) === (tokenVar === undefined)) return null;
  const secret = env[(passwordVar ?? tokenVar)!];
  if (!secret) return null;
  // OAuth2 and proxies are left to imapflow (quickListReason): no quick listing in any node.
  if (tokenVar !== undefined || o.has('proxy')) return 'relaunch';
  const account: MailAccount = {
    host,
    ...(port === undefined ? {} : { port }),
    tls: tls as MailAccount['tls'],
    allowUntrustedCert: o.has('insecure-skip-verify'),
    user,
    auth: { method: 'password', password: secret },
  };
  // An account folder this user may not write: the CLI refuses the job (exit 2) before any login.
  if (accountFolderRefusedSync(out, account)) return null;
  return startEarlyQuickList(account, out, timeoutMs) ? 'listing' : 'relaunch';
}

/** `fanout mail`'s options that take a value, and its flags (mail-command.ts). */
const VALUES = new Set(['host', 'port', 'tls', 'user', 'password-env', 'token-env', 'timeout', 'proxy', 'folders', 'connections', 'workers', 'max-connections', 'strategy', 'out']);
const FLAGS = new Set(['insecure-skip-verify', 'list-folders', 'json']);

/**
 * The options of `fanout mail …` as `--name value` / `--name=value` / `--flag`, each at most once,
 * or null for anything else (another command, a word that is not an option, an option of another
 * command, a global option, a value that looks like an option).
 */
export function mailOptionsOf(args: readonly string[]): Map<string, string | true> | null {
  if (args[0] !== 'mail') return null;
  const o = new Map<string, string | true>();
  for (let i = 1; i < args.length; i++) {
    const m = /^--([a-z][a-z-]*)(?:=([\s\S]*))?$/.exec(args[i]!);
    if (!m || o.has(m[1]!)) return null;
    const [, name, inline] = m as unknown as [string, string, string | undefined];
    if (FLAGS.has(name) && inline === undefined) o.set(name, true);
    else if (VALUES.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('-'))) return null;
      o.set(name, value);
    } else return null;
  }
  return o;
}

/** A connection count as the CLI reads it (countOrAuto, then the schema's 1 to 32), or null. */
function countOrAuto(value: string): number | 'auto' | null {
  return isAuto(value) ? 'auto' : wholeNumber(value, 1, 32);
}
