import { create } from 'zustand';
import type { AppInfo, HistoryEntry, Settings } from '../../../shared/ipc';
import type { Strategy } from '../../../shared/strategy';
import { getApi } from '../api/api';
import { mailSettingsOf } from '../lib/mail-settings';

export type Screen = 'gutenberg' | 'mail' | 'live' | 'lab' | 'history';

export interface AppState {
  screen: Screen;
  info: AppInfo | null;
  connected: boolean;
  /**
   * The Gutenberg form (also the lab's source job). `proxy` (empty: from the environment) and
   * `autoWorkers` are kept for the page's life, not saved: leaving the screen keeps them.
   */
  form: { catalogPath: string; mirror: string; workers: number; strategy: Strategy; outDir: string; proxy: string; autoWorkers: boolean };
  /** The remembered mail account (never the password: that stays in the host's secret store). */
  mail: Settings['mail'];
  history: HistoryEntry[];
  /** A user-facing error banner (last failed action). */
  error: string | null;
}

export const useAppStore = create<AppState>(() => ({
  screen: 'gutenberg',
  info: null,
  connected: true,
  form: { catalogPath: '', mirror: '', workers: 4, strategy: 'adaptive', outDir: '', proxy: '', autoWorkers: false },
  mail: { host: '', user: '', tls: 'implicit', rememberPassword: false },
  history: [],
  error: null,
}));

export const setScreen = (screen: Screen) => useAppStore.setState({ screen });
export const setError = (error: string | null) => useAppStore.setState({ error });
export const setConnected = (connected: boolean) => useAppStore.setState({ connected });

export function updateForm(patch: Partial<AppState['form']>): void {
  useAppStore.setState((s) => ({ form: { ...s.form, ...patch } }));
}

/** Remembers the form in the host's settings (debounced by the caller). */
export async function saveFormSettings(): Promise<void> {
  const f = useAppStore.getState().form;
  const patch: Partial<Settings> = { mirror: f.mirror, outDir: f.outDir, workers: f.workers, strategy: f.strategy, lastCatalog: f.catalogPath };
  await getApi().setSettings(patch);
}

/**
 * Remembers the mail account (host, port, TLS mode, user, whether to remember the password) in the
 * host's settings. The password is not part of it: the settings schema has no field for one.
 */
export async function saveMailSettings(mail: Settings['mail']): Promise<void> {
  const clean = mailSettingsOf(mail);
  useAppStore.setState({ mail: clean });
  await getApi().setSettings({ mail: clean });
}

export async function bootstrapApp(): Promise<void> {
  const api = getApi();
  const [info, settings] = await Promise.all([api.appInfo({}), api.getSettings({})]);
  useAppStore.setState({
    info,
    form: {
      catalogPath: settings.lastCatalog,
      mirror: settings.mirror,
      workers: settings.workers,
      strategy: settings.strategy,
      outDir: settings.outDir || info.defaultOutDir,
      proxy: useAppStore.getState().form.proxy,
      autoWorkers: useAppStore.getState().form.autoWorkers,
    },
    mail: settings.mail,
  });
  // A damaged settings.json or saved passwords' file (kept, set aside at the next save): said once, in the banner.
  if (info.dataNotices?.length) setError(info.dataNotices.map(describeError).join(' '));
}

export async function refreshHistory(): Promise<void> {
  const history = await getApi().listHistory({});
  useAppStore.setState({ history });
}

export function describeError(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) return `${String((err as { code: unknown }).code)}: ${String((err as { message: unknown }).message)}`;
  return err instanceof Error ? err.message : String(err);
}
