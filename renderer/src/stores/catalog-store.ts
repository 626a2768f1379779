/**
 * The catalog table: the loaded catalog's handle, the query, a page cache for the virtual table,
 * and the selection. Rows stay on the host (see electron/engine/jobs/catalog-service.ts); the
 * table fetches pages of PAGE_SIZE rows as they scroll into view.
 */
import { create } from 'zustand';
import type { CatalogEvent, CatalogInfo, CatalogQuery, CatalogRow, DownloadedCatalogInfo } from '../../../shared/ipc';
import { getApi } from '../api/api';

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
  download: { url: string; phase: CatalogEvent['phase']; bytes: number; total: number | null } | null;
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

/** Downloads the official catalog from the mirror (progress through `applyCatalogEvent`), then shows it. */
export async function downloadCatalogFromMirror(mirror: string): Promise<DownloadedCatalogInfo> {
  useCatalogStore.setState({ loading: true, download: { url: '', phase: 'downloading', bytes: 0, total: null } });
  try {
    const info = await getApi().downloadCatalog({ mirror });
    catalogLoaded(info);
    await fetchPage(0);
    return info;
  } finally {
    useCatalogStore.setState({ loading: false, download: null });
  }
}

export function cancelCatalogDownload(): Promise<void> {
  return getApi().cancelCatalogDownload({});
}

/** Progress of a catalog download (host event). Ignored when no download is shown. */
export function applyCatalogEvent(e: CatalogEvent): void {
  useCatalogStore.setState((s) => (s.download ? { download: { url: e.url, phase: e.phase, bytes: e.bytes, total: e.total } } : {}));
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
