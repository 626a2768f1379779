import type { MailFolderTally } from '../../../shared/events';
import { useRunStore } from '../stores/run-store';

/**
 * After a mail run: each folder's account — what the server held = archived before + fetched now
 * + vanished during the run. A folder that does not add up failed the job (FOLDER_INCOMPLETE).
 */
export function MailFolderTallies() {
  const tallies = useRunStore((s) => s.summary?.mailFolders);
  if (!tallies || tallies.length === 0) return null;
  const complete = (t: MailFolderTally) => t.archivedBefore + t.fetched + t.vanished === t.onServer;
  return (
    <section className="panel" data-testid="mail-folder-tallies">
      <h3>Folders</h3>
      <table>
        <thead>
          <tr><th>Folder</th><th>On server</th><th>Archived before</th><th>Fetched now</th><th>Vanished</th></tr>
        </thead>
        <tbody>
          {tallies.map((t) => (
            <tr key={t.folder} className={complete(t) ? '' : 'error'}>
              <td>{t.folder}</td><td>{t.onServer}</td><td>{t.archivedBefore}</td><td>{t.fetched}</td><td>{t.vanished}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
