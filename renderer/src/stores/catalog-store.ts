/**
 * The catalog table: the loaded catalog's handle, the query, a page cache for the virtual table,
 * and the selection. Rows stay on the host (see electron/engine/jobs/catalog-service.ts); the
 * table fetches pages of PAGE_SIZE rows as they scroll into view.
 */
import { create } from 'zustand';
import type { CatalogFinished, CatalogInfo, CatalogProgress, CatalogQuery, CatalogRow, DownloadedCatalogInfo } from '../../../shared/ipc';
import { getApi } from '../api/api';
import { describeError, saveFormSettings, setError, updateForm } from './app-store';

export const PAGE_SIZE = 100;

export interface CatalogState {
  info: CatalogInfo | null;
  loading: boolean;
  query: CatalogQuery;
  /** Rows matching the query. */
  total: number;
  /** Bumped on every query change; stale page replies are dropped. */
  generation: number;
  pages: Map<number, CatalogRow[]>;
  selected: Set<number>;
  /** The running "download from the mirror", or null. */
  download: { url: string; phase: CatalogProgress['phase']; bytes: number; total: number | null } | null;
}

export const useCatalogStore = create<CatalogState>(() => ({
  info: null,
  loading: false,
  query: {},
  total: 0,
  generation: 0,
  pages: new Map(),
  selected: new Set(),
  download: null,
}));

const inFlight = new Set<string>();

export async function loadCatalog(path: string): Promise<CatalogInfo> {
  useCatalogStore.setState({ loading: true });
  try {
    const info = await getApi().loadCatalog({ path });
    catalogLoaded(info);
    await fetchPage(0);
    return info;
  } finally {
    useCatalogStore.setState({ loading: false });
  }
}

function catalogLoaded(info: CatalogInfo): void {
  useCatalogStore.setState((s) => ({ info, total: info.rows, pages: new Map(), generation: s.generation + 1, selected: new Set() }));
}

/**
 * Whether this page's own `catalog:download` call waits for its reply: then the reply shows the
 * outcome; otherwise (a download this page follows after a reload or a reconnect, or that another
 * tab started) the host's `catalog:finished` event does.
 */
let ownCall = false;

/** A downloaded catalog: shown, and remembered as the form's catalog (its path is in the host's data folder). */
async function showDownloaded(info: DownloadedCatalogInfo): Promise<void> {
  catalogLoaded(info);
  updateForm({ catalogPath: info.path });
  void saveFormSettings().catch(() => {});
  await fetchPage(0);
}

const endShownDownload = () => useCatalogStore.setState({ loading: false, download: null });

/**
 * Downloads the official catalog from the mirror (progress through `applyCatalogEvent`), then shows
 * it. Null when the connection to the host dropped meanwhile: the host goes on with the download,
 * and the page follows it again once back (`syncCatalogDownload`).
 */
export async function downloadCatalogFromMirror(mirror: string): Promise<DownloadedCatalogInfo | null> {
  ownCall = true;
  useCatalogStore.setState({ loading: true, download: { url: '', phase: 'downloading', bytes: 0, total: null } });
  let followed = false;
  try {
    const info = await getApi().downloadCatalog({ mirror });
    ownCall = false;
    endShownDownload();
    await showDownloaded(info);
    return info;
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (code === 'BUSY') {
      // Another page's download runs (one at a time): this page shows it to its end, and says why it did not start its own.
      ownCall = false;
      followed = true;
      endShownDownload();
      await syncCatalogDownload().catch(() => {});
      throw err;
    }
    if (code !== 'CONNECTION_RESET') throw err;
    followed = true;
    return null;
  } finally {
    ownCall = false;
    if (!followed) endShownDownload();
  }
}

export function cancelCatalogDownload(): Promise<void> {
  return getApi().cancelCatalogDownload({});
}

/** The end of a download this page shows but did not get the reply of. */
async function finishFollowed(e: CatalogFinished): Promise<void> {
  endShownDownload();
  if (e.ok) await showDownloaded(e.info);
  else if (e.error.code !== 'ABORTED') setError(`Could not download the catalog: ${describeError(e.error)}`);
}

/** A catalog download's progress or end (host events, sent to every page). Ignored when no download is shown. */
export function applyCatalogEvent(e: CatalogProgress | CatalogFinished): void {
  if (e.kind === 'catalog:finished') {
    if (!ownCall && useCatalogStore.getState().download) void finishFollowed(e).catch((err) => setError(`Could not show the catalog: ${describeError(err)}`));
    return;
  }
  useCatalogStore.setState((s) => (s.download ? { download: { url: e.url, phase: e.phase, bytes: e.bytes, total: e.total } } : {}));
}

/**
 * Asks the host about its catalog download (page load, reconnect): one running is shown with its
 * progress and followed to its end; one this page showed that ended meanwhile shows its end; one the
 * host no longer knows (it was restarted) is said to be interrupted.
 */
export async function syncCatalogDownload(): Promise<void> {
  const state = await getApi().catalogDownloadState({});
  if (ownCall) return;
  const { running, last } = state;
  if (running) {
    useCatalogStore.setState({ loading: true, download: { url: running.url, phase: running.phase, bytes: running.bytes, total: running.total } });
  } else if (useCatalogStore.getState().download) {
    if (last) await finishFollowed(last);
    else {
      endShownDownload();
      setError('The catalog download was interrupted: the Fanout host no longer runs it (it was restarted?). Download it again.');
    }
  }
}

export async function setQuery(query: CatalogQuery): Promise<void> {
  const s = useCatalogStore.getState();
  useCatalogStore.setState({ query, generation: s.generation + 1, pages: new Map() });
  await fetchPage(0);
}

/** Fetches one page (no-op if cached or in flight); updates `total` from the reply. */
export async function fetchPage(page: number): Promise<void> {
  const s = useCatalogStore.getState();
  if (!s.info || s.pages.has(page)) return;
  const key = `${s.generation}:${page}`;
  if (inFlight.has(key)) return;
  inFlight.add(key);
  try {
    const res = await getApi().searchCatalog({ catalogId: s.info.catalogId, query: s.query, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
    const now = useCatalogStore.getState();
    if (now.generation !== s.generation) return;
    const pages = new Map(now.pages);
    pages.set(page, res.rows);
    useCatalogStore.setState({ pages, total: res.total });
  } finally {
    inFlight.delete(key);
  }
}

export function rowAt(state: Pick<CatalogState, 'pages'>, index: number): CatalogRow | undefined {
  return state.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
}

export function toggleSelected(ebook: number): void {
  useCatalogStore.setState((s) => {
    const selected = new Set(s.selected);
    if (selected.has(ebook)) selected.delete(ebook);
    else selected.add(ebook);
    return { selected };
  });
}

export function clearSelection(): void {
  useCatalogStore.setState({ selected: new Set() });
}

export async function selectAllMatching(): Promise<void> {
  const s = useCatalogStore.getState();
  if (!s.info) return;
  const ids = await getApi().catalogIds({ catalogId: s.info.catalogId, query: s.query });
  useCatalogStore.setState((now) => ({ selected: new Set([...now.selected, ...ids]) }));
}
