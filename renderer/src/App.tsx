import { useEffect } from 'react';
import { getApi, onConnectionChange } from './api/api';
import { GutenbergScreen } from './screens/GutenbergScreen';
import { HistoryScreen } from './screens/HistoryScreen';
import { LabScreen } from './screens/LabScreen';
import { LiveRun } from './screens/LiveRun';
import { MailScreen } from './screens/MailScreen';
import { bootstrapApp, describeError, refreshHistory, setConnected, setError, setScreen, useAppStore, type Screen } from './stores/app-store';
import { noteJobEvent } from './stores/active-jobs';
import { syncWithHost } from './stores/host-sync';
import { applyCatalogEvent } from './stores/catalog-store';
import { applyLabEvent } from './stores/lab-store';
import { enqueueJobEvent, useRunStore } from './stores/run-store';

const TABS: Array<{ id: Screen; label: string }> = [
  { id: 'gutenberg', label: 'Gutenberg' },
  { id: 'mail', label: 'Mail' },
  { id: 'live', label: 'Live run' },
  { id: 'lab', label: 'Concurrency lab' },
  { id: 'history', label: 'History' },
];

export function App() {
  const screen = useAppStore((s) => s.screen);
  const error = useAppStore((s) => s.error);
  const connected = useAppStore((s) => s.connected);
  const info = useAppStore((s) => s.info);
  const runStatus = useRunStore((s) => s.status);

  useEffect(() => {
    const api = getApi();
    const offJob = api.onJobEvent((e) => {
      enqueueJobEvent(e);
      noteJobEvent(e);
      if (e.kind === 'job:finished') void refreshHistory().catch(() => {});
    });
    const offLab = api.onLabEvent(applyLabEvent);
    const offCatalog = api.onCatalogEvent(applyCatalogEvent);
    let wasDown = false;
    const offConn = onConnectionChange((connected) => {
      setConnected(connected);
      // Back after a drop: what ended or started meanwhile (events were missed).
      if (connected && wasDown) void syncWithHost({ follow: false, show: false }).catch(() => {});
      wasDown = !connected;
    });
    // No "Leave site?" prompt in the web host: a job or lab runs on in `fanout serve` when the page
    // is closed or reloaded, and a page loaded again takes it up (RunsOnHost says so beside it).
    bootstrapApp()
      // A job the host runs (this page reloaded mid-job, or started from another tab) is shown at once; so are a lab and a catalog download.
      .then(() => syncWithHost({ follow: true, show: true }).catch((err) => setError(`Could not ask the Fanout host what runs: ${describeError(err)}`)))
      .then(() => {
        (window as unknown as { __fanoutReady?: boolean }).__fanoutReady = true;
        document.body.dataset.ready = '1';
      })
      .catch((err) => setError(`Could not reach the Fanout host: ${describeError(err)}`));
    return () => {
      offJob();
      offLab();
      offCatalog();
      offConn();
    };
  }, []);

  return (
    <div className="app">
      <nav>
        <span className="brand">Fanout</span>
        {TABS.map((t) => (
          <button key={t.id} data-testid={`nav-${t.id}`} className={screen === t.id ? 'active' : ''} onClick={() => setScreen(t.id)}>
            {t.label}
            {t.id === 'live' && (runStatus === 'running' || runStatus === 'paused') ? ' ●' : ''}
          </button>
        ))}
        <span className="spacer" />
        <span className="muted">{info ? `${info.host} host` : ''}{connected ? '' : ' · disconnected'}</span>
      </nav>
      {error && (
        <div className="banner error" data-testid="error-banner" onClick={() => setError(null)}>
          {error} <span className="muted">(click to dismiss)</span>
        </div>
      )}
      <main>
        {screen === 'gutenberg' && <GutenbergScreen />}
        {screen === 'mail' && <MailScreen />}
        {screen === 'live' && <LiveRun />}
        {screen === 'lab' && <LabScreen />}
        {screen === 'history' && <HistoryScreen />}
      </main>
    </div>
  );
}
