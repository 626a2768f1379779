/**
 * A catalog download across a page reload or a dropped connection: the host goes on downloading, so
 * the page asks it (`catalog:download-state`) at load and reconnect, shows a running download's
 * progress, and learns its end from the host's `catalog:finished` (or the kept last end), never
 * showing 'Downloading…' for ever. Against a stand-in for the host's answers (window.fanout).
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogDownloadState, DownloadedCatalogInfo } from '../../../shared/ipc';
import { FanoutCommandError } from '../../../shared/ipc';

const info: DownloadedCatalogInfo = { catalogId: 'c1', path: '/data/catalogs/pg_catalog-m.csv', rows: 3, badRows: 0, loadMs: 1, url: 'http://m/cache/epub/feeds/pg_catalog.csv', downloadedBytes: 10, downloadMs: 1 };
const host: { state: CatalogDownloadState; download: () => Promise<DownloadedCatalogInfo> } = {
  state: { running: null, last: null },
  download: async () => info,
};

beforeAll(() => {
  (globalThis as { window?: unknown }).window = {
    fanout: {
      catalogDownloadState: async () => host.state,
      downloadCatalog: () => host.download(),
      searchCatalog: async () => ({ catalogId: 'c1', total: 3, offset: 0, rows: [] }),
      setSettings: async () => ({}),
    },
  };
});

const load = async () => ({ ...(await import('../../../renderer/src/stores/catalog-store')), ...(await import('../../../renderer/src/stores/app-store')) });

beforeEach(async () => {
  const m = await load();
  m.useCatalogStore.setState({ info: null, loading: false, download: null });
  m.setError(null);
  m.updateForm({ catalogPath: '' });
  host.state = { running: null, last: null };
});

describe('a catalog download the page did not see end', () => {
  it('page loaded mid-download: shows its progress, then the catalog when the host says it ended', async () => {
    const m = await load();
    host.state = { running: { mirror: 'http://m/', phase: 'downloading', url: info.url, bytes: 5, total: 10 }, last: null };
    await m.syncCatalogDownload();
    expect(m.useCatalogStore.getState()).toMatchObject({ loading: true, download: { bytes: 5, total: 10, phase: 'downloading' } });
    m.applyCatalogEvent({ kind: 'catalog:progress', phase: 'loading', url: info.url, bytes: 10, total: 10 });
    expect(m.useCatalogStore.getState().download).toMatchObject({ phase: 'loading' });
    m.applyCatalogEvent({ kind: 'catalog:finished', mirror: 'http://m/', ok: true, info });
    await expect.poll(() => m.useCatalogStore.getState().info?.catalogId).toBe('c1');
    expect(m.useCatalogStore.getState()).toMatchObject({ loading: false, download: null, total: 3 });
    expect(m.useAppStore.getState().form.catalogPath).toBe(info.path);
  });

  it('reconnected after it failed: the failure is shown, the progress goes', async () => {
    const m = await load();
    m.useCatalogStore.setState({ loading: true, download: { url: info.url, phase: 'downloading', bytes: 5, total: 10 } });
    host.state = { running: null, last: { kind: 'catalog:finished', mirror: 'http://m/', ok: false, error: { code: 'CONNECTION_RESET', message: 'cut', retryable: true, context: {} } } };
    await m.syncCatalogDownload();
    expect(m.useCatalogStore.getState()).toMatchObject({ loading: false, download: null });
    expect(m.useAppStore.getState().error).toBe('Could not download the catalog: CONNECTION_RESET: cut');
  });

  it('reconnected to a restarted host: said to be interrupted', async () => {
    const m = await load();
    m.useCatalogStore.setState({ loading: true, download: { url: info.url, phase: 'downloading', bytes: 5, total: 10 } });
    await m.syncCatalogDownload();
    expect(m.useCatalogStore.getState()).toMatchObject({ loading: false, download: null });
    expect(m.useAppStore.getState().error).toContain('The catalog download was interrupted');
  });

  it('this page\'s own download whose reply was lost with the connection stays shown, and is followed to its end', async () => {
    const m = await load();
    host.download = async () => {
      throw new FanoutCommandError('CONNECTION_RESET', 'Lost the connection to the Fanout server');
    };
    expect(await m.downloadCatalogFromMirror('http://m/')).toBeNull();
    expect(m.useCatalogStore.getState().download).not.toBeNull();
    host.state = { running: null, last: { kind: 'catalog:finished', mirror: 'http://m/', ok: true, info } };
    await m.syncCatalogDownload();
    expect(m.useCatalogStore.getState()).toMatchObject({ loading: false, download: null, info: { catalogId: 'c1' } });
  });

  it('refused because another page\'s download runs (BUSY): says so, and shows that download\'s progress to its end', async () => {
    const m = await load();
    host.download = async () => {
      throw new FanoutCommandError('BUSY', 'A catalog download is already running');
    };
    host.state = { running: { mirror: 'http://other/', phase: 'downloading', url: 'http://other/cache', bytes: 7, total: 70 }, last: null };
    await expect(m.downloadCatalogFromMirror('http://m/')).rejects.toMatchObject({ code: 'BUSY' });
    expect(m.useCatalogStore.getState()).toMatchObject({ loading: true, download: { url: 'http://other/cache', bytes: 7 } });
    m.applyCatalogEvent({ kind: 'catalog:finished', mirror: 'http://other/', ok: true, info });
    await expect.poll(() => m.useCatalogStore.getState().info?.catalogId).toBe('c1');
  });

  it('an end event while this page\'s own call waits is left to the reply; none shown, none applied', async () => {
    const m = await load();
    m.applyCatalogEvent({ kind: 'catalog:finished', mirror: 'http://m/', ok: true, info });
    expect(m.useCatalogStore.getState().info).toBeNull();
  });
});
