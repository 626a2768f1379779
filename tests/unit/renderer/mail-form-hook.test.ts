/**
 * useMailForm (mail-form-store.ts), the one hook the Mail screen and the lab's mail panel fill the
 * mail form with: the first component rendered in a page fills it from the remembered account and
 * the host's defaults; a later one (the other screen, or the same one opened again) finds what was
 * typed, not the defaults again. Rendered with react-dom/server (no DOM needed).
 */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Settings } from '../../../shared/ipc';
import { useAppStore } from '../../../renderer/src/stores/app-store';
import { setMailField, useMailForm, useMailFormStore } from '../../../renderer/src/stores/mail-form-store';

const INFO = { defaultOutDir: '/home/me/fanout', canStoreSecrets: false };
const REMEMBERED: Settings['mail'] = { ...useAppStore.getState().mail, host: 'imap.example.org', port: 1143, tls: 'none', user: 'me' };

/**
 * A component showing the form as either screen does: the hook, then its fields (read from the
 * store here: a server render reads a zustand hook's initial state, so useMailField cannot show it).
 */
function Form({ seen }: { seen: Array<{ saved: Settings['mail']; host: string; password: string; outDir: string }> }) {
  const saved = useMailForm(INFO);
  const { host, password, outDir } = useMailFormStore.getState().form!;
  seen.push({ saved, host, password, outDir });
  return null;
}

describe('useMailForm', () => {
  beforeEach(() => {
    useMailFormStore.setState({ form: null });
    useAppStore.setState({ mail: REMEMBERED });
  });

  it('fills the form once from the remembered account and the host, and returns the account', () => {
    const seen: Parameters<typeof Form>[0]['seen'] = [];
    renderToString(createElement(Form, { seen }));
    expect(seen[0]).toEqual({ saved: REMEMBERED, host: 'imap.example.org', password: '', outDir: '/home/me/fanout' });
    expect(useMailFormStore.getState().form).toMatchObject({ port: '1143', tls: 'none', user: 'me', connections: 4 });
  });

  it('a later component (the other screen, or this one again) keeps what was typed', () => {
    const seen: Parameters<typeof Form>[0]['seen'] = [];
    renderToString(createElement(Form, { seen }));
    setMailField('password', 's3cret');
    setMailField('outDir', '/data/mail');
    // The remembered account changed meanwhile (saved at Start): the form is not refilled from it.
    useAppStore.setState({ mail: { ...REMEMBERED, host: 'other.example.org' } });
    renderToString(createElement(Form, { seen }));
    expect(seen[1]).toMatchObject({ host: 'imap.example.org', password: 's3cret', outDir: '/data/mail' });
    // What it returns is the account as remembered when that component opened.
    expect(seen[1]!.saved.host).toBe('other.example.org');
  });
});
