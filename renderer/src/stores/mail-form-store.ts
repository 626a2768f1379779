import { useState } from 'react';
import { create } from 'zustand';
import { useAppStore } from './app-store';
import type { AppInfo, MailFolderInfo, Settings } from '../../../shared/ipc';
import type { Strategy } from '../../../shared/strategy';

/**
 * The mail form as typed, for the page's life: leaving the Mail screen (to watch the run) and coming
 * back finds it as it was left — the password, the folders listed and ticked, the connections and the
 * output folder — so "the same job again" is the same job (an output folder back at its default
 * would archive everything again, elsewhere). The lab's mail panel shows the same account and
 * password (`useMailForm` in both). Nothing here is saved: a reload starts from the
 * remembered account (settings) and no password, as before.
 */
export interface MailFormState {
  host: string;
  port: string;
  tls: 'implicit' | 'starttls' | 'none';
  user: string;
  password: string;
  untrusted: boolean;
  folders: MailFolderInfo[];
  checked: Set<string>;
  connections: number;
  autoWorkers: boolean;
  strategy: Strategy;
  outDir: string;
  status: string;
  remember: boolean;
}

/** The form as a page first shows it: the remembered account (settings), no password, the host's default folder. */
export function mailFormDefaults(saved: Settings['mail'], info: Pick<AppInfo, 'defaultOutDir' | 'canStoreSecrets'>): MailFormState {
  return {
    host: saved.host, port: saved.port !== undefined ? String(saved.port) : '', tls: saved.tls, user: saved.user, password: '', untrusted: false,
    folders: [], checked: new Set(), connections: 4, autoWorkers: false, strategy: 'adaptive', outDir: info.defaultOutDir, status: '',
    remember: saved.rememberPassword && info.canStoreSecrets,
  };
}

export const useMailFormStore = create<{ form: MailFormState | null }>(() => ({ form: null }));

/** Fills the form once per page (the first time the Mail screen opens); later openings keep what is there. */
export function initMailForm(make: () => MailFormState): void {
  if (!useMailFormStore.getState().form) useMailFormStore.setState({ form: make() });
}

/**
 * For a component showing the form (the Mail screen, the lab's mail panel): fills it the first time
 * either renders in this page, from the remembered account (the settings as they are then) and the
 * host's defaults; later renders and openings keep what is there. Returns the remembered account as
 * read when the component opened. Call it before `useMailField`.
 */
export function useMailForm(info: Pick<AppInfo, 'defaultOutDir' | 'canStoreSecrets'>): Settings['mail'] {
  const [saved] = useState(() => useAppStore.getState().mail);
  // useState's initializer: once per mounted component, during its first render (before its fields are read).
  useState(() => initMailForm(() => mailFormDefaults(saved, info)));
  return saved;
}

type Update<T> = T | ((prev: T) => T);

/** Sets one field (a value, or a function of the current one, as React's state setters take). */
export function setMailField<K extends keyof MailFormState>(key: K, value: Update<MailFormState[K]>): void {
  useMailFormStore.setState((s) => {
    if (!s.form) return s;
    const next = typeof value === 'function' ? (value as (prev: MailFormState[K]) => MailFormState[K])(s.form[key]) : value;
    return { form: { ...s.form, [key]: next } };
  });
}

/** One field and its setter, like `useState` (the form must have been filled: `useMailForm`). */
export function useMailField<K extends keyof MailFormState>(key: K): [MailFormState[K], (value: Update<MailFormState[K]>) => void] {
  const value = useMailFormStore((s) => s.form![key]);
  return [value, (v) => setMailField(key, v)];
}
