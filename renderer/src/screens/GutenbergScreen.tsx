import { useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { checkByteRate, parseDuration } from '../../../shared/byte-rate';
import { downloadMirrors, MIRROR_LIST_DATE, MIRROR_LIST_SOURCE } from '../../../shared/gutenberg-mirrors';
import { checkAbsolutePath, checkMirrorUrl, redactUrl } from '../../../shared/input-checks';
import { checkProxySetting } from '../../../shared/proxy-setting';
import { STRATEGIES, type Strategy } from '../../../shared/strategy';
import { getApi } from '../api/api';
import { asSentence as sentence, toFieldProblems, useFieldProblems } from '../lib/field-problems';
import { CheckedField } from './CheckedField';
import { ConnectionLimitFields } from './ConnectionLimitFields';
import { FieldError } from './FieldError';
import { describeError, saveFormSettings, setError, setScreen, updateForm, useAppStore } from '../stores/app-store';
import { cancelCatalogDownload, clearSelection, downloadCatalogFromMirror, fetchPage, loadCatalog, PAGE_SIZE, rowAt, selectAllMatching, setQuery, toggleSelected, useCatalogStore } from '../stores/catalog-store';
import { capsSpecFields, setConnectionLimits, setLimitRate, setWait, useJobCapsStore } from '../stores/job-caps-store';
import { showRunningJob, useActiveJobs } from '../stores/active-jobs';
import { useAnyLabRunning } from './lab/LabControls';
import { beginRun, useRunStore } from '../stores/run-store';
import { formatBytes, idsToRanges } from '../lib/format';
import { resyncIfBusy } from '../stores/host-sync';

const ROW_HEIGHT = 28;

/** Where the job spec's fields are shown in this form (`job:check` problems go under them). */
const FORM_FIELDS = { catalog: 'catalog', mirror: 'mirror', mirrorTls: 'mirror', outDir: 'outDir', workers: 'workers', autoWorkers: 'workers', strategy: 'strategy', selection: 'selection', limitRate: 'limitRate', proxy: 'proxy', waitMs: 'waitMs', maxPerHost: 'maxPerHost', itemTimeoutMs: 'itemTimeoutMs' };

/** The checks the form runs itself, as the user leaves a field (the host runs them again, and the rest, at Start). */
function localProblem(field: 'catalog' | 'mirror' | 'outDir', value: string): string | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  const problem = field === 'mirror' ? checkMirrorUrl(v) : checkAbsolutePath(v);
  return problem ? sentence(problem) : undefined;
}
function CatalogTable() {
  const total = useCatalogStore((s) => s.total);
  const pages = useCatalogStore((s) => s.pages);
  const selected = useCatalogStore((s) => s.selected);
  const parentRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is used as documented
  const virtualizer = useVirtualizer({ count: total, getScrollElement: () => parentRef.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    // A page not fetched (the connection dropped meanwhile) is asked for again when the table next moves.
    for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) void fetchPage(p).catch(() => {});
  }, [first, last, pages]);

  return (
    <div className="table" data-testid="catalog-table">
      <div className="table-head row">
        <span className="c-sel" />
        <span className="c-id">#</span>
        <span className="c-title">Title</span>
        <span className="c-author">Author</span>
        <span className="c-lang">Lang</span>
        <span className="c-subj">Subjects</span>
      </div>
      <div ref={parentRef} className="table-body" data-testid="catalog-scroll">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((vi) => {
            const row = rowAt({ pages }, vi.index);
            const isSel = row ? selected.has(row.ebook) : false;
            return (
              <div
                key={vi.key}
                className={`row${isSel ? ' selected' : ''}`}
                data-testid={row ? `catalog-row-${row.ebook}` : undefined}
                style={{ position: 'absolute', top: 0, transform: `translateY(${vi.start}px)`, height: ROW_HEIGHT, width: '100%' }}
                onClick={() => row && toggleSelected(row.ebook)}
              >
                {row ? (
                  <>
                    <span className="c-sel"><input type="checkbox" readOnly checked={isSel} aria-label={`select ${row.ebook}`} /></span>
                    <span className="c-id">{row.ebook}</span>
                    <span className="c-title" title={row.title}>{row.title}</span>
                    <span className="c-author" title={row.authors}>{row.authors}</span>
                    <span className="c-lang">{row.languages}</span>
                    <span className="c-subj" title={row.subjects}>{row.subjects}</span>
                  </>
                ) : (
                  <span className="loading-row">…</span>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

/**
 * The file the table shows (and Start uses). A path typed above that did not load (not a catalog, no
 * such file) leaves the table as it was: said here, so it does not pass for the new file's books.
 */
function CatalogShown({ path, typed, failed }: { path: string; typed: string; failed: boolean }) {
  const other = typed.trim() !== '' && typed.trim() !== path;
  return (
    <span className={other ? 'error' : 'muted'} data-testid="catalog-shown" title={path}>
      in {path}{other ? `, not the file named above (${failed ? 'it did not load' : 'Load it to use it'}): Start uses this one` : ''}
    </span>
  );
}

function SearchBox() {
  // From the query in force: the screen left and opened again shows the search it filters by.
  const [text, setText] = useState(() => useCatalogStore.getState().query.text ?? '');
  const [language, setLanguage] = useState(() => useCatalogStore.getState().query.language ?? '');
  useEffect(() => {
    const t = setTimeout(() => void setQuery({ text, language: language || undefined }).catch(() => {}), 150);
    return () => clearTimeout(t);
  }, [text, language]);
  return (
    <div className="search">
      <input data-testid="catalog-search" placeholder="Search author, title, subject, number…" value={text} onChange={(e) => setText(e.target.value)} />
      <input className="narrow" data-testid="catalog-language" placeholder="lang (en)" value={language} onChange={(e) => setLanguage(e.target.value)} />
    </div>
  );
}

export function GutenbergScreen() {
  const form = useAppStore((s) => s.form);
  const info = useAppStore((s) => s.info);
  const catalog = useCatalogStore((s) => s.info);
  const loading = useCatalogStore((s) => s.loading);
  const download = useCatalogStore((s) => s.download);
  const total = useCatalogStore((s) => s.total);
  const selectedCount = useCatalogStore((s) => s.selected.size);
  const runStatus = useRunStore((s) => s.status);
  const [starting, setStarting] = useState(false);
  /** Bandwidth cap and wait between requests as typed (shared with the lab); the cap is changeable later in the live view. */
  const { limitRate, wait, maxPerHost, itemTimeout } = useJobCapsStore();
  /** Proxy for the mirror (http:// for http(s), socks5:// for ftp(s)): empty = from the environment (HTTPS_PROXY, NO_PROXY), `none`, or a URL. */
  const proxy = form.proxy;
  const setProxy = (v: string) => updateForm({ proxy: v });
  /** Connections per server (`--max-per-host`) and the per-book timeout (`--item-timeout`): empty for none (shared with the lab). */
  const limits = { maxPerHost, itemTimeout };
  /** `--workers auto`: start with 4 (or where the last auto job to this server settled) and add while throughput grows; the Workers field is then the most. */
  const autoWorkers = form.autoWorkers;
  const setAutoWorkers = (v: boolean) => updateForm({ autoWorkers: v });
  /** Problems shown under the fields, by field; a field's problem goes when it is edited. */
  const fieldProblems = useFieldProblems();
  const { problems, setProblem, setAll: setProblems, invalid } = fieldProblems;
  /** A job runs (this page's, or one the host runs for another page): one at a time from the UI. */
  const running = useActiveJobs((s) => s.ids.length > 0);
  const busy = runStatus === 'running' || runStatus === 'paused' || running;
  /** A lab measures: a job beside it would be in its timings. */
  const labRunning = useAnyLabRunning();
  /** What the disabled Start waits for, in words (a greyed button alone does not say). */
  const give = [!form.mirror.trim() && 'a mirror URL', !form.outDir.trim() && 'an output folder'].filter(Boolean).join(' and ');
  const missing = [
    !catalog && 'load a catalog',
    selectedCount === 0 && (catalog && total === 0 ? 'select books (no book matches the search)' : 'select books'),
    give && `give ${give}`,
  ].filter(Boolean);
  const edit = (field: 'catalogPath' | 'outDir', value: string) => {
    updateForm({ [field]: value });
    setProblem(field === 'catalogPath' ? 'catalog' : field, undefined);
  };

  const onLoad = async () => {
    setError(null);
    const path = form.catalogPath.trim();
    const local = localProblem('catalog', path);
    setProblem('catalog', local);
    if (local) return;
    try {
      await loadCatalog(path);
      void saveFormSettings().catch(() => {});
    } catch (err) {
      setProblem('catalog', sentence(err instanceof Error ? err.message : String(err)));
    }
  };

  const onDownload = async () => {
    setError(null);
    try {
      // Shown, and made the form's catalog, by the store (also for a download this page only follows).
      await downloadCatalogFromMirror(form.mirror.trim());
    } catch (err) {
      if ((err as { code?: unknown })?.code === 'ABORTED') return;
      setError(`Could not download the catalog: ${describeError(err)}`);
    }
  };

  const pickOut = async () => {
    const dir = await getApi().pickFolder({ title: 'Output folder', defaultPath: form.outDir });
    if (dir) edit('outDir', dir);
  };

  const onStart = async () => {
    setError(null);
    setStarting(true);
    try {
      const ids = idsToRanges(useCatalogStore.getState().selected);
      const spec = {
        kind: 'gutenberg' as const,
        catalog: catalog?.path ?? form.catalogPath,
        mirror: form.mirror.trim(),
        selection: { ids },
        workers: form.workers,
        ...(autoWorkers ? { autoWorkers: true } : {}),
        strategy: form.strategy,
        outDir: form.outDir.trim(),
        ...capsSpecFields({ limitRate, wait, maxPerHost, itemTimeout }),
        ...(proxy.trim() ? { proxy: proxy.trim() } : {}),
      };
      // The host's checks (the CLI's): each problem goes under its field, and nothing starts.
      const check = await getApi().checkJob({ spec });
      const { byField, rest } = toFieldProblems(check.problems, FORM_FIELDS);
      setProblems(byField);
      if (rest.length > 0) setError(rest.join('; '));
      if (check.problems.length > 0) return;
      const { jobId } = await getApi().startJob({ spec });
      beginRun(jobId, 'gutenberg', form.workers, redactUrl(spec.mirror)); // shown on the page: no password
      void saveFormSettings().catch(() => {});
      setScreen('live');
    } catch (err) {
      setError(`Could not start: ${describeError(err)}`);
      resyncIfBusy(err);
    } finally {
      setStarting(false);
    }
  };

  return (
    <section className="screen gutenberg" data-testid="screen-gutenberg">
      <div className="form-grid">
        <label className="wide">
          Catalog file
          <span className="inline">
            <input data-testid="catalog-path" aria-invalid={invalid('catalog')} value={form.catalogPath} placeholder="/path/to/pg_catalog.csv" onChange={(e) => edit('catalogPath', e.target.value)} />
            <button data-testid="catalog-load" disabled={!form.catalogPath.trim() || loading} onClick={() => void onLoad()}>{loading && !download ? 'Loading…' : 'Load'}</button>
            <button
              data-testid="catalog-download"
              title="Download the official catalog (cache/epub/feeds/pg_catalog.csv) from the mirror below"
              disabled={!form.mirror.trim() || loading}
              onClick={() => void onDownload()}
            >
              From mirror
            </button>
          </span>
          <FieldError id="catalog" message={problems.catalog} />
          {download && (
            <span className="download-progress" data-testid="catalog-download-progress">
              <span className="bar"><span style={{ width: download.total ? `${Math.min(100, (100 * download.bytes) / download.total)}%` : '100%' }} className={download.total ? '' : 'indeterminate'} /></span>
              {download.phase === 'loading' ? 'Loading the catalog…' : `Downloading ${formatBytes(download.bytes)}${download.total ? ` of ${formatBytes(download.total)}` : ''}`}
              <button className="link" data-testid="catalog-download-cancel" onClick={() => void cancelCatalogDownload()}>Cancel</button>
            </span>
          )}
        </label>
        <CheckedField
          label="Mirror URL"
          field="mirror"
          testId="mirror-url"
          list="pg-mirrors"
          title={`Project Gutenberg's official mirrors are offered (${MIRROR_LIST_SOURCE}, ${MIRROR_LIST_DATE}); the main site www.gutenberg.org refuses bulk downloads`}
          value={form.mirror}
          placeholder="ftp://… or https://…"
          onEdit={(v) => updateForm({ mirror: v })}
          check={(v) => localProblem('mirror', v)}
          problems={fieldProblems}
        >
          <datalist id="pg-mirrors" data-testid="pg-mirrors">
            {downloadMirrors().map((m) => <option key={m.url} value={m.url}>{`${m.location}, ${m.nation} · ${m.provider}`}</option>)}
          </datalist>
        </CheckedField>
        <label>
          Workers
          <input data-testid="workers" type="number" min={1} max={64} value={form.workers} onChange={(e) => updateForm({ workers: Math.max(1, Math.min(64, Number(e.target.value) || 1)) })} />
          <FieldError id="workers" message={problems.workers} />
        </label>
        <label className="check" title="Start with 4 connections (or where the last auto job to this server settled) and add more while throughput grows; the server's refusals and the Workers field are the limit">
          <input data-testid="auto-workers" type="checkbox" checked={autoWorkers} onChange={(e) => {
            setAutoWorkers(e.target.checked);
            // Workers becomes the most auto may open: a small fixed count would hold it back.
            if (e.target.checked && form.workers < 32) updateForm({ workers: 32 });
          }} />
          Auto
        </label>
        <CheckedField
          label="Bandwidth cap"
          field="limitRate"
          testId="limit-rate"
          value={limitRate}
          placeholder="none (e.g. 2M)"
          title="For the whole job, all connections together: bytes per second, k = 1024 (500k, 2M)"
          onEdit={setLimitRate}
          check={(v) => (v.trim() ? (checkByteRate(v.trim()) ?? undefined) : undefined)}
          problems={fieldProblems}
        />
        <CheckedField
          label="Wait between requests"
          field="waitMs"
          testId="wait"
          size={6}
          value={wait}
          placeholder="none (e.g. 2s)"
          title="All workers together, randomised 0.5–1.5×; each book is then its own request (no pipelined batches)"
          onEdit={setWait}
          check={(v) => (v.trim() && parseDuration(v) === null ? 'write e.g. 2s, 500ms or 1m' : undefined)}
          problems={fieldProblems}
        />
        <CheckedField
          label="Proxy"
          field="proxy"
          testId="proxy"
          value={proxy}
          placeholder="from the environment"
          title="http://host:port for http(s) mirrors, socks5://host:port for ftp(s) mirrors; none, or empty for HTTPS_PROXY / HTTP_PROXY / NO_PROXY"
          onEdit={setProxy}
          check={(v) => (v.trim() ? (checkProxySetting(v.trim()) ?? undefined) : undefined)}
          problems={fieldProblems}
        />
        <ConnectionLimitFields limits={limits} onEdit={setConnectionLimits} problems={fieldProblems} />
        <label>
          Strategy
          <select data-testid="strategy" value={form.strategy} onChange={(e) => updateForm({ strategy: e.target.value as Strategy })}>
            {STRATEGIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Output folder
          <span className="inline">
            <input
              data-testid="out-dir"
              aria-invalid={invalid('outDir')}
              value={form.outDir}
              onChange={(e) => edit('outDir', e.target.value)}
              onBlur={() => setProblem('outDir', localProblem('outDir', form.outDir))}
            />
            {info?.canPickFolder && <button onClick={() => void pickOut()}>Choose…</button>}
          </span>
          <FieldError id="outDir" message={problems.outDir} />
        </label>
      </div>

      {catalog && (
        <>
          <div className="toolbar">
            <SearchBox />
            <span className="muted" data-testid="catalog-count">{total.toLocaleString()} of {catalog.rows.toLocaleString()} books{catalog.badRows ? ` (${catalog.badRows} bad rows skipped)` : ''}</span>
            <CatalogShown path={catalog.path} typed={form.catalogPath} failed={problems.catalog !== undefined} />
            <button data-testid="select-all" onClick={() => void selectAllMatching()}>Select all matching</button>
            <button onClick={clearSelection} disabled={selectedCount === 0}>Clear</button>
          </div>
          <CatalogTable />
        </>
      )}

      <div className="actions">
        <span data-testid="selected-count">{selectedCount.toLocaleString()} selected</span>
        <FieldError id="selection" message={problems.selection} />
        <button
          className="primary"
          data-testid="start"
          disabled={!catalog || selectedCount === 0 || !form.mirror.trim() || !form.outDir.trim() || starting || busy || labRunning}
          onClick={() => void onStart()}
        >
          Start
        </button>
        {missing.length > 0 && !busy && !labRunning && <span className="muted" data-testid="start-why">To start: {missing.join(', ')}.</span>}
        {labRunning && !busy && <span className="muted" data-testid="start-blocked">A lab is running: a job now would be in its timings. Start when it ends, or cancel it on the Lab screen.</span>}
        {busy && <button data-testid="show-running-job" onClick={() => void showRunningJob().catch((err) => setError(describeError(err)))}>Show the running job</button>}
      </div>
    </section>
  );
}
