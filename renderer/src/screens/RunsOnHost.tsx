import { useAppStore } from '../stores/app-store';

/**
 * The web host runs jobs and labs, not the page: closing or reloading the page leaves them running,
 * and a page opened again takes them up (host-sync). So the browser is not asked to confirm leaving
 * (its "Leave site? Changes you made may not be saved" would be untrue, and it came on every reload
 * too); this line says what holds instead. Not in Electron, whose window close asks in main.
 */
export function RunsOnHost({ what }: { what: 'job' | 'lab' }) {
  const web = useAppStore((s) => s.info?.host === 'web');
  if (!web) return null;
  return (
    <span className="muted" data-testid="runs-on-host">
      The {what} runs in <code>fanout serve</code>, not in this page: closing or reloading the page does not stop it (open its URL again to come back to it; Cancel, or Ctrl+C in that terminal, stops it).
    </span>
  );
}
