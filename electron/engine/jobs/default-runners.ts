/**
 * The real engines behind a host. Kept apart from FanoutHost so the host stays unit-testable with
 * fake runners.
 */
import { readCatalog } from '../catalog';
import { runGutenbergJob } from '../gutenberg/run-gutenberg-job';
import { listMailFolders, testMailAccount, type MailAccountTestResult } from '../mail/folders';
import { runMailJob } from '../mail/run-mail-job';
import type { CatalogReader } from './catalog-service';
import type { MailTools } from './fanout-host';
import type { JobRunners } from './job-manager';

export function defaultRunners(): JobRunners {
  return { gutenberg: runGutenbergJob, mail: (spec, control) => runMailJob(spec, control) };
}

export const defaultCatalogReader: CatalogReader = (path, opts) => readCatalog(path, opts);

/**
 * What the Test button shows: the server, then what it said. An error that names the server
 * already ('Login to host:port failed: …') is not prefixed with it a second time.
 */
export function mailTestReply(r: MailAccountTestResult): Awaited<ReturnType<MailTools['test']>> {
  const warn = r.warnings.length ? ` (${r.warnings.join('; ')})` : '';
  if (r.ok) return { ok: true, message: `${r.server}: ${r.folders ?? 0} folders, ${r.messages ?? 0} messages${warn}` };
  const said = r.error?.message ?? 'failed';
  return { ok: false, message: `${said.includes(r.server) ? said : `${r.server}: ${said}`}${warn}`, ...(r.error ? { error: r.error } : {}) };
}

export const defaultMailTools: MailTools = {
  async test(account) {
    return mailTestReply(await testMailAccount(account));
  },
  async folders(account) {
    const list = await listMailFolders(account);
    // Every folder the server lists, containers that cannot be selected included: the picker shows the real tree.
    return list.map((f) => ({
      path: f.path,
      name: f.name,
      delimiter: f.delimiter,
      messages: f.messages ?? 0,
      selectable: f.selectable,
      parent: f.parent,
      ...(f.specialUse ? { specialUse: f.specialUse } : {}),
    }));
  },
};
