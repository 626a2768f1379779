import { Command, Option } from 'commander';
import type { JobSummary, MailFolderTally } from '../../shared/events';
import type { MailAccount } from '../../shared/job-spec';
import { checkAutoWorkers } from '../../shared/input-checks';
import { accountFolderRefusedSync } from '../engine/inputs/account-folder';
import { STRATEGIES } from '../../shared/strategy';
import { FanoutError } from '../engine/core/fanout-error';
import type { MailFolderInfo } from '../engine/mail/folders';
import { rootOrderApplies } from '../engine/mail/path-order';
import { countOrAuto, intOption, parseSpecOrExit, positiveInt, reportInputCheck } from './cli-validation';
import { EXIT } from './exit-codes';
import { takeDeferredRelaunch } from './relaunch-hook';

/**
 * Set by the first node when it re-launches because its quick listing showed work (quick-decision.ts):
 * the re-launched node goes straight to the full path instead of listing the quick way a second time.
 */
const LISTED_WITH_WORK = 'FANOUT_MAIL_LISTED_WITH_WORK';

/** At most this long, ms, the first node waits for the early listing's write before loading zod (see the action). */
const EARLY_WRITE_WAIT_MS = 40;

// The schemas (zod) and the engine (imapflow) are imported when a command acts, not at load time:
// `fanout mail --help` and `fanout verify --help` must start as fast as `fanout --help` (commands.ts).

/** The connection options `fanout mail` and `fanout verify mail` share. */
export interface AccountCliOptions {
  host: string;
  port?: number;
  tls: 'implicit' | 'starttls' | 'none';
  insecureSkipVerify?: boolean;
  user: string;
  passwordEnv?: string;
  tokenEnv?: string;
  timeout: number;
  proxy?: string;
}

interface MailCliOptions extends AccountCliOptions {
  folders: string;
  connections: number | 'auto';
  workers?: number | 'auto';
  maxConnections: number;
  strategy: (typeof STRATEGIES)[number];
  out?: string;
  json?: boolean;
  listFolders?: boolean;
}

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(EXIT.badInput);
}

/** The account from the options; secrets come only from environment variables (never argv). */
export async function accountFrom(o: AccountCliOptions): Promise<MailAccount> {
  const { MailAccountSchema } = await import('../../shared/job-spec');
  if (Boolean(o.passwordEnv) === Boolean(o.tokenEnv)) fail('give exactly one of --password-env VAR or --token-env VAR');
  const varName = (o.passwordEnv ?? o.tokenEnv)!;
  const secret = process.env[varName];
  if (!secret) fail(`environment variable ${varName} is not set (or empty)`);
  const auth = o.passwordEnv ? { method: 'password' as const, password: secret } : { method: 'oauth2' as const, accessToken: secret };
  return parseSpecOrExit(MailAccountSchema, {
    host: o.host,
    port: o.port,
    tls: o.tls,
    allowUntrustedCert: Boolean(o.insecureSkipVerify),
    user: o.user,
    auth,
    ...(o.proxy ? { proxy: o.proxy } : {}),
  });
}

/** The folder tree with counts, one folder per line, indented by depth. */
export function formatFolderTree(folders: MailFolderInfo[]): string {
  const lines: string[] = [];
  for (const f of folders) {
    const depth = f.delimiter ? f.path.split(f.delimiter).length - 1 : 0;
    const name = `${'  '.repeat(depth)}${f.name}`;
    const special = f.specialUse ? ` ${f.specialUse}` : '';
    const counts = f.selectable ? `${f.messages ?? '?'} messages${f.unseen ? `, ${f.unseen} unseen` : ''}` : '(not selectable)';
    lines.push(`${name.padEnd(40)} ${counts.padEnd(28)}${special}  → ${f.dir}`);
  }
  return `${lines.join('\n')}\n`;
}

const MAX_FOLDER_LINES = 50;

/** Per-folder numbers after a run: what the server held = archived before + fetched now + vanished. */
export function formatFolderTallies(tallies: MailFolderTally[]): string {
  if (tallies.length === 0) return '';
  const width = Math.min(40, Math.max(...tallies.map((t) => t.folder.length)));
  const lines = ['folders: on server = archived before + fetched now + vanished during the run'];
  for (const t of tallies.slice(0, MAX_FOLDER_LINES)) {
    // A job that stopped early (cancelled, failed) left some: said, or the line would not add up.
    const left = t.onServer - t.archivedBefore - t.fetched - t.vanished;
    lines.push(`  ${t.folder.padEnd(width)}  ${t.onServer} = ${t.archivedBefore} + ${t.fetched} + ${t.vanished}${left > 0 ? `, and ${left} not fetched (a re-run does them)` : ''}`);
  }
  if (tallies.length > MAX_FOLDER_LINES) lines.push(`  … ${tallies.length - MAX_FOLDER_LINES} more folders (--json lists them all)`);
  return `${lines.join('\n')}\n`;
}

/** Adds the account options (host, port, TLS, user, secret from the environment, timeout). */
export function addAccountOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--host <host>', 'IMAP server host name')
    .option('--port <n>', 'port (993 with implicit TLS, 143 otherwise)', positiveInt)
    .addOption(new Option('--tls <mode>', 'implicit TLS, STARTTLS (required), or none (cleartext)').choices(['implicit', 'starttls', 'none']).default('implicit'))
    .option('--insecure-skip-verify', 'trust the server certificate even if it is self-signed or does not match (unsafe)')
    .requiredOption('--user <user>', 'login name')
    .option('--password-env <VAR>', 'environment variable holding the password')
    .option('--token-env <VAR>', 'environment variable holding an OAuth2 access token (XOAUTH2)')
    .option('--timeout <ms>', 'network timeout per operation, ms', positiveInt, 60_000)
    .option('--proxy <url>', 'connect through a proxy: socks5://host:1080, socks4://… or http://host:3128');
}

export function registerMailCommand(program: Command): void {
  addAccountOptions(
    program
      .command('mail')
      .description('archive an IMAP account to one .eml per message (incremental), or list its folders'),
  )
    .option('--folders <list>', '"all", or folder paths separated by commas (INBOX,Sent)', 'all')
    .option('--connections <n|auto>', 'parallel IMAP connections (the server may allow fewer), or auto: start with 2 and add while throughput grows', countOrAuto, 4)
    .option('--workers <n|auto>', 'the same as --connections (the name the other jobs use)', countOrAuto)
    .option('--max-connections <n>', 'with auto: never more connections than this (at most 32)', intOption(1, 32), 16)
    .addOption(new Option('--strategy <s>', 'how UID batches are dealt to connections').choices(STRATEGIES).default('adaptive'))
    .option('--out <dir>', 'output folder (the archive goes to <out>/<user@host>/<folder>/)')
    .option('--list-folders', 'print the folder tree with counts and exit')
    .option('--json', 'print the summary (or the folder list) as JSON on stdout')
    .action(async (o: MailCliOptions) => {
      // In bin/fanout.js's first node: re-launch (node's launch settings) only for a run with work.
      const relaunch = takeDeferredRelaunch();
      const listedWithWork = process.env[LISTED_WITH_WORK] === '1';
      delete process.env[LISTED_WITH_WORK];
      // A listing bin/fanout.js started before the CLI loaded (mail-early.ts) writes LOGIN and LIST as
      // soon as its connection is up (quick-list.ts): give it that moment before zod's schemas load
      // (one long stretch of the main thread). Nothing waits when there is no such listing.
      const quick = await import('../engine/mail/quick-list');
      const written = quick.earlyQuickListWritten(EARLY_WRITE_WAIT_MS);
      // Meanwhile, where the job's folders will be ordered by ICU's collator (folders.ts inListOrder:
      // a locale that tailors ASCII; path-order.ts), its first use builds it (~15-30 ms): build it now.
      if (quick.earlyQuickListStarted() && !rootOrderApplies()) 'INBOX'.localeCompare('Sent');
      await written;
      const account = await accountFrom(o);
      const { listMailFolders, mailAccountWarnings } = await import('../engine/mail/folders');
      if (o.listFolders) {
        // An archive run warns through its job events; listing has no job, so it warns here.
        for (const w of mailAccountWarnings(account)) process.stderr.write(`warning: ${w}\n`);
        try {
          const folders = await listMailFolders(account, { timeoutMs: o.timeout });
          process.stdout.write(o.json ? `${JSON.stringify(folders, null, 2)}\n` : formatFolderTree(folders));
        } catch (err) {
          const e = err instanceof FanoutError ? err : new FanoutError('INTERNAL', String(err));
          process.stderr.write(`error: ${e.message} [${e.code}]\n`);
          process.exitCode = EXIT.failures;
        }
        return;
      }
      if (!o.out) fail('--out <dir> is required (or use --list-folders)');
      const folders = o.folders.trim().toLowerCase() === 'all' ? 'all' : o.folders.split(',').map((s) => s.trim()).filter(Boolean);
      // job-spec is loaded already (accountFrom): the spec is whole before the engine loads.
      const { MailJobSpecSchema } = await import('../../shared/job-spec');
      const connections = o.workers ?? o.connections;
      const spec = parseSpecOrExit(MailJobSpecSchema, {
        kind: 'mail',
        account,
        folders,
        connections: connections === 'auto' ? o.maxConnections : connections,
        autoWorkers: connections === 'auto',
        strategy: o.strategy,
        outDir: o.out,
        timeoutMs: o.timeout,
      });
      // An account archived before is listed the quick way at once (quick-list.ts), its round trips
      // overlapping the engine's loading; the job takes it up. Not when the input check below will
      // refuse the job for its options (the output folder holds folders.json, so it exists).
      // Nor when the account's folder may not be written (another user's): refused below, before any login.
      const refusable = checkAutoWorkers(spec.autoWorkers, spec.strategy) !== null || accountFolderRefusedSync(spec.outDir, spec.account);
      const early = !listedWithWork && !refusable && (await import('../engine/mail/quick-list')).startEarlyQuickList(spec.account, spec.outDir, spec.timeoutMs);
      // The first node of a run that may have nothing new: the job's modules load while the listing
      // is on the wire, and node is re-launched only if the listing shows work (a first run, an
      // account the quick listing leaves to imapflow: at once).
      if (relaunch && !early) return relaunch();
      const modules = Promise.all([import('../engine/inputs/mail-inputs'), import('../engine/mail/run-mail-job'), import('./run-job-in-terminal')]);
      if (relaunch && (await (await import('../engine/mail/quick-decision')).earlyListingShowsWork(spec))) {
        modules.catch(() => undefined);
        return relaunch({ [LISTED_WITH_WORK]: '1' });
      }
      const [{ checkMailInputs }, { runMailJob }, { runJobInTerminal }] = await modules;
      reportInputCheck(await checkMailInputs(spec));
      // A run that will connect through imapflow (no quick listing under way: a first run, an account
      // the quick listing leaves to imapflow, a re-launched run with work): its first connection is
      // opened now, its greeting arriving while imapflow and the worker modules load (connect.ts).
      const connect = await import('../engine/mail/connect');
      if (!early) connect.preconnect(spec.account);
      let summary: JobSummary | null = null;
      await runJobInTerminal(async (control) => (summary = await runMailJob(spec, control, listedWithWork ? { quickList: false } : {})), { json: Boolean(o.json), itemNoun: 'messages' });
      connect.dropPreconnected();
      const tallies = (summary as JobSummary | null)?.mailFolders ?? [];
      if (!o.json) process.stderr.write(formatFolderTallies(tallies));
      // The job is over (its files, state and lock settled before its summary) and everything is
      // printed: exit now, once stdout and stderr have handed their last bytes to the system,
      // rather than after node's teardown of the heap and the thread pool (~10-30 ms of a run with
      // nothing new, measured on the bench's child).
      await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
      process.exit();
    });
}

/** Resolves once what was written to `stream` before has been handed to the system (or it failed). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
