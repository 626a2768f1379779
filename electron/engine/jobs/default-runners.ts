/**
 * The real engines behind a host. Kept apart from FanoutHost so the host stays unit-testable with
 * fake runners.
 */
import { readCatalog } from '../catalog';
import { runGutenbergJob } from '../gutenberg/run-gutenberg-job';
import { listMailFolders, testMailAccount } from '../mail/folders';
import { runMailJob } from '../mail/run-mail-job';
import type { CatalogReader } from './catalog-service';
import type { MailTools } from './fanout-host';
import type { JobRunners } from './job-manager';

export function defaultRunners(): JobRunners {
  return { gutenberg: runGutenbergJob, mail: (spec, control) => runMailJob(spec, control) };
}

export const defaultCatalogReader: CatalogReader = (path, opts) => readCatalog(path, opts);

export const defaultMailTools: MailTools = {
  async test(account) {
    const r = await testMailAccount(account);
    const warn = r.warnings.length ? ` (${r.warnings.join('; ')})` : '';
    return r.ok
      ? { ok: true, message: `${r.server}: ${r.folders ?? 0} folders, ${r.messages ?? 0} messages${warn}` }
      : { ok: false, message: `${r.server}: ${r.error?.message ?? 'failed'}${warn}`, ...(r.error ? { error: r.error } : {}) };
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
