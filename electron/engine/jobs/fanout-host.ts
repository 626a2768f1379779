/**
 * The host side of the IPC contract, shared by Electron main and the web host: one `handle(cmd,
 * payload)` that validates the payload (shared/ipc-schemas.ts) and dispatches to the engine, and
 * one event stream. Host-specific bits (native dialogs, opening folders, secrets) are injected.
 */
import type { SerializedError } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/events';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AnyLabPoint, AppInfo, CatalogDownloadState, VerifyEnd, CatalogFinished, CatalogProgress, CommandName, DownloadedCatalogInfo, CommandRequest, CommandResponse, Events, EventName, LabRunInput, MailFolderInfo, MailTestResult, Reply } from '../../../shared/ipc';
import { IpcValidationError, parseCommand } from '../../../shared/ipc-schemas';
import type { GutenbergJobSpec, MailAccount, MailJobSpec } from '../../../shared/job-spec';
import { FanoutError, toFanoutError } from '../core/fanout-error';
import { checkInputFile } from '../inputs/file-checks';
import { checkJobInputs, checkUiJob, inputProblemsError, type InputCheck } from '../inputs/job-inputs';
import { downloadCatalog, type CatalogDownloadOptions, type CatalogDownloadResult } from './catalog-download';
import { CatalogService, type CatalogReader } from './catalog-service';
import { JobManager, type JobRunners } from './job-manager';
import { mailLabPlan, queueLabPlan, scrubLabPlan, stragglerLabPlan } from './lab-plans';
import { gutenbergLabPlan, LabRunner, type LabPlan } from './lab-runner';
import type { VerifyReport } from '../../../shared/verify-report';
import { verifyCorpus } from '../verify/verify-corpus';
import { verifyMailLocal } from '../verify/verify-mail';
import { withFolderForVerify } from '../verify/verify-folder';
import { SettingsStore, defaultSettings } from './settings-store';

export interface MailTools {
  test(account: MailAccount): Promise<MailTestResult>;
  folders(account: MailAccount): Promise<MailFolderInfo[]>;
}

export interface FanoutHostOptions {
  host: AppInfo['host'];
  version: string;
  dataDir: string;
  defaultOutDir: string;
  runners: JobRunners;
  readCatalog: CatalogReader;
  mail?: MailTools;
  pickFolder?: (req: { title?: string; defaultPath?: string }) => Promise<string | null>;
  openPath?: (path: string) => Promise<void>;
  /** Encrypted secret storage (Electron safeStorage); absent in the web host. */
  secrets?: {
    save(key: string, value: string): Promise<void>;
    load(key: string): Promise<string | null>;
    forget(key: string): Promise<void>;
    /** Why the saved passwords' file cannot be read, or where it was set aside (DATA_DAMAGED); null when whole. */
    damage?(): Promise<FanoutError | null>;
  };
  frameIntervalMs?: number;
  /** Fetches the official catalog from a mirror (default: the real download; tests inject one). */
  downloadCatalog?: (mirror: string, opts: CatalogDownloadOptions) => Promise<CatalogDownloadResult>;
  /** Verifies a past run's output folder (default: verifyCorpus / verifyMailLocal; tests inject one). */
  verifyFolder?: (kind: JobSummary['kind'], outDir: string) => Promise<VerifyReport>;
}

export type EventSink = <E extends EventName>(name: E, payload: Events[E]) => void;

type Handlers = { [C in CommandName]: (req: CommandRequest<C>) => Promise<CommandResponse<C>> | CommandResponse<C> };

export function serializeError(raw: unknown): SerializedError {
  if (raw instanceof IpcValidationError) return raw.toJSON();
  return toFanoutError(raw).toJSON();
}

export class FanoutHost {
  readonly jobs: JobManager;
  readonly catalogs: CatalogService;
  readonly lab: LabRunner<AnyLabPoint>;
  readonly settings: SettingsStore;
  readonly #sinks = new Set<EventSink>();
  readonly #handlers: Handlers;
  /** The running catalog download, if any (one at a time). */
  #catalogDownload: AbortController | null = null;
  /** Its mirror and latest progress, and how the last one ended: `catalog:download-state` for a page that was away. */
  #catalogProgress: CatalogDownloadState['running'] = null;
  #catalogLast: CatalogFinished | null = null;
  /** Verifies running (`verify:run`) by run, and the last ends: `verify:state` for a page that was away. */
  readonly #verifies = new Map<string, { folder: string; startedAt: string; done: Promise<VerifyReport> }>();
  readonly #verifyEnds: VerifyEnd[] = [];

  constructor(readonly opts: FanoutHostOptions) {
    this.jobs = new JobManager({ dataDir: opts.dataDir, runners: opts.runners, frameIntervalMs: opts.frameIntervalMs });
    this.catalogs = new CatalogService(opts.readCatalog);
    this.lab = new LabRunner<AnyLabPoint>(opts.runners.gutenberg, (e) => this.#emit('lab:event', e));
    this.settings = new SettingsStore(opts.dataDir, defaultSettings(opts.defaultOutDir));
    this.jobs.on((e) => this.#emit('job:event', e));
    const notAvailable = (what: string) => () => {
      throw new FanoutError('NOT_AVAILABLE', `${what} is not available in the ${opts.host} host`);
    };
    this.#handlers = {
      'app:info': async () => {
        // Settings read first: a settings.json that could not be read whole is said (settings-store.ts
        // `damage`), and so are saved passwords that cannot be read (electron/main/secrets.ts).
        await this.settings.get();
        const notices = [this.settings.damageError, (await opts.secrets?.damage?.().catch(() => null)) ?? null].filter((e) => e !== null).map((e) => e.toJSON());
        return {
          host: opts.host,
          version: opts.version,
          defaultOutDir: opts.defaultOutDir,
          canPickFolder: opts.pickFolder !== undefined,
          mailAvailable: opts.mail !== undefined && this.jobs.mailAvailable,
          canStoreSecrets: opts.secrets !== undefined,
          ...(notices.length > 0 ? { dataNotices: notices } : {}),
        };
      },
      'settings:get': () => this.settings.get(),
      'settings:set': (patch) => this.settings.set(patch),
      'job:start': async ({ spec }) => {
        this.#refuseWhileBusy(spec);
        await this.#refuseBadInputs(spec as Parameters<JobManager['start']>[0]);
        // Again: another page's start may have come in during the checks.
        this.#refuseWhileBusy(spec);
        return { jobId: this.jobs.start(spec as Parameters<JobManager['start']>[0]).jobId };
      },
      'job:check': ({ spec }) => checkUiJob(spec),
      'job:pause': ({ jobId }) => this.jobs.pause(jobId),
      'job:resume': ({ jobId }) => this.jobs.resume(jobId),
      'job:set-rate': ({ jobId, bytesPerSecond }) => this.jobs.setRate(jobId, bytesPerSecond),
      'job:cancel': ({ jobId }) => this.jobs.cancel(jobId),
      'job:active': () => this.jobs.active(),
      'job:recording': ({ jobId, from, count }) => this.jobs.recordingPage(jobId, from, count),
      'catalog:load': async ({ path }) => {
        const problem = await checkInputFile(path);
        if (problem) throw new FanoutError('BAD_INPUT', `${path}: ${problem}`, { file: path });
        return this.catalogs.load(path);
      },
      'catalog:download': ({ mirror }) => this.#downloadCatalog(mirror),
      'catalog:cancel-download': () => this.#catalogDownload?.abort(),
      'catalog:download-state': () => ({ running: this.#catalogProgress ? { ...this.#catalogProgress } : null, last: this.#catalogLast }),
      'catalog:search': ({ catalogId, query, offset, limit }) => this.catalogs.search(catalogId, query, offset, limit),
      'catalog:ids': ({ catalogId, query }) => this.catalogs.ids(catalogId, query),
      'history:list': () => this.jobs.listHistory(),
      'history:get': ({ jobId, from, count }) => this.jobs.history.recordingPage(jobId, from, count),
      'lab:run': async (req) => {
        this.#refuseWhileBusy('lab');
        const plan = await this.#labPlan(req);
        this.#refuseWhileBusy('lab');
        return { labId: this.lab.startPlan(plan).labId };
      },
      'lab:cancel': ({ labId }) => this.lab.cancel(labId),
      'lab:active': () => ({ running: this.lab.active(), finished: this.lab.finished() }),
      'mail:test': ({ account }) => (opts.mail ? opts.mail.test(account) : notAvailable('Mail archiving')()),
      'mail:folders': ({ account }) => (opts.mail ? opts.mail.folders(account) : notAvailable('Mail archiving')()),
      'secrets:save-mail-password': ({ host, user, password }) =>
        opts.secrets ? opts.secrets.save(`mail:${user}@${host}`, password) : notAvailable('Remembering passwords')(),
      'secrets:forget-mail-password': ({ host, user }) => (opts.secrets ? opts.secrets.forget(`mail:${user}@${host}`) : undefined),
      'secrets:load-mail-password': ({ host, user }) => (opts.secrets ? opts.secrets.load(`mail:${user}@${host}`) : null),
      'dialog:pick-folder': (req) => (opts.pickFolder ? opts.pickFolder(req) : notAvailable('A folder dialog')()),
      'shell:open-path': ({ path }) => (opts.openPath ? this.#openOutputFolder(opts.openPath, path) : notAvailable('Opening folders')()),
      'verify:run': ({ jobId }) => this.#verifyRun(jobId),
      'verify:state': () => ({ running: [...this.#verifies].map(([jobId, v]) => ({ jobId, startedAt: v.startedAt })), finished: [...this.#verifyEnds] }),
    };
  }

  /**
   * One job or one lab at a time, whichever page (or tab) starts it: a lab's timings would hold a
   * job's traffic and CPU, and a second job runs unseen beside the one a page follows. Each page's
   * UI refuses too; this is the host's word for two pages that both saw it idle.
   */
  #refuseWhileBusy(starting: { outDir: string } | 'lab'): void {
    // A verify re-reads a folder: a job writing into it would make its report wrong, a lab's timings would hold its reading.
    const folders = [...this.#verifies.values()].map((v) => v.folder);
    const verifying = starting === 'lab' ? folders[0] : folders.find((f) => f === resolve(starting.outDir));
    if (verifying !== undefined) throw new FanoutError('BUSY', `A verify of ${verifying} is running. Start when it ends`, { path: verifying });
    const job = this.jobs.active()[0];
    if (job) {
      const what = job.kind === 'mail' ? 'mail' : 'Gutenberg';
      throw new FanoutError('BUSY', `A job is running: ${job.jobId} (${what}${job.outDir ? `, into ${job.outDir}` : ''}). Let it end, or cancel it in Live run, then start again`, job.outDir ? { path: job.outDir } : {});
    }
    const lab = this.lab.active()[0];
    if (lab) throw new FanoutError('BUSY', `A lab is running: ${lab.labId} (${lab.lab}). Let it end, or cancel it in the Concurrency lab, then start again`, {});
  }

  /**
   * The checks the CLI runs before a job (files, folders, catalog, selection), as one BAD_INPUT
   * error; else the check, whose `selected` (the books the selection picks) a lab plan takes its
   * sample from without reading the catalog again.
   */
  async #refuseBadInputs(spec: Parameters<JobManager['start']>[0]): Promise<InputCheck> {
    const check = await checkJobInputs(spec);
    if (check.problems.length > 0) throw inputProblemsError(check.problems);
    return check;
  }

  /**
   * The plan of a lab request (validated by its schema), after the checks its job would get: each
   * kind runs the engine function of its `fanout lab` command. Refused before anything runs.
   */
  async #labPlan(req: LabRunInput): Promise<LabPlan<AnyLabPoint>> {
    switch (req.kind) {
      case 'gutenberg': {
        const spec = req.spec as GutenbergJobSpec;
        const { selected } = await this.#refuseBadInputs(spec);
        return gutenbergLabPlan(this.opts.runners.gutenberg, { ...req, spec }, { selected });
      }
      case 'queue': {
        const spec = req.spec as GutenbergJobSpec;
        const { selected } = await this.#refuseBadInputs(spec);
        return queueLabPlan({ ...req, spec }, { selected });
      }
      case 'mail': {
        if (!this.jobs.mailAvailable || !this.opts.mail) throw new FanoutError('NOT_AVAILABLE', `Mail archiving is not available in the ${this.opts.host} host`);
        const spec = req.spec as MailJobSpec;
        await this.#refuseBadInputs(spec);
        return mailLabPlan({ ...req, spec });
      }
      case 'stragglers': {
        const spec = req.spec as GutenbergJobSpec;
        const { selected } = await this.#refuseBadInputs(spec);
        return stragglerLabPlan({ ...req, spec }, { selected });
      }
      case 'scrub':
        return scrubLabPlan(req);
      default: {
        const never: never = req;
        return never;
      }
    }
  }

  /** `fanout verify` of a past run's output, against its own records (the UI names a job, never a path). */
  async #verifyRun(jobId: string): Promise<VerifyReport> {
    // The same run's verify again (a page reloaded meanwhile, a second tab): the one running, not a second.
    const running = this.#verifies.get(jobId);
    if (running) return running.done;
    const entry = (await this.jobs.listHistory()).find((h) => h.summary.jobId === jobId);
    if (!entry) throw new FanoutError('NO_SUCH_RUN', `No run ${jobId} in the history`, {});
    const { kind, outDir } = entry.summary;
    // A folder being written reads as damaged (half-written files, a manifest still growing), and
    // a lab measures alone (the re-hashing would be in its timings).
    const writing = this.jobs.active().find((j) => j.outDir !== undefined && resolve(j.outDir) === resolve(outDir));
    if (writing) throw new FanoutError('BUSY', `A job is writing to ${outDir}: ${writing.jobId}. Verify this run when it ends`, { path: outDir });
    const lab = this.lab.active()[0];
    if (lab) throw new FanoutError('BUSY', `A lab is running: ${lab.labId} (${lab.lab}). Verify this run when it ends, or cancel it in the Concurrency lab`, {});
    const again = this.#verifies.get(jobId); // started while the history was read
    if (again) return again.done;
    // The folder's output lock held while it reads, as `fanout verify` does: a job writing it from
    // another process (the CLI) refuses this verify, OUTPUT_LOCKED naming it, and none starts meanwhile.
    const verify = this.opts.verifyFolder ?? ((k: JobSummary['kind'], dir: string) => withFolderForVerify(dir, () => (k === 'mail' ? verifyMailLocal(dir) : verifyCorpus(dir))));
    const done = verify(kind, outDir);
    this.#verifies.set(jobId, { folder: resolve(outDir), startedAt: new Date().toISOString(), done });
    try {
      const report = await done;
      this.#noteVerifyEnd({ jobId, report });
      return report;
    } catch (raw) {
      this.#noteVerifyEnd({ jobId, error: serializeError(raw) });
      throw raw;
    } finally {
      this.#verifies.delete(jobId);
    }
  }

  #noteVerifyEnd(end: VerifyEnd): void {
    this.#verifyEnds.push(end);
    if (this.#verifyEnds.length > 4) this.#verifyEnds.shift();
  }


  /** Opens a folder only when it is the output folder of a job in the history: the UI cannot open arbitrary paths. */
  async #openOutputFolder(open: (path: string) => Promise<void>, path: string): Promise<void> {
    const wanted = resolve(path);
    const known = (await this.jobs.listHistory()).some((h) => resolve(h.summary.outDir) === wanted);
    if (!known) throw new FanoutError('BAD_INPUT', `${path} is not the output folder of a job Fanout ran; only those can be opened`, { path });
    const st = await stat(wanted).catch(() => null);
    if (!st?.isDirectory()) throw new FanoutError('BAD_INPUT', `${path} no longer exists`, { path });
    await open(wanted);
  }

  /** Downloads the mirror's official catalog into `<dataDir>/catalogs`, then loads it. */
  async #downloadCatalog(mirror: string): Promise<DownloadedCatalogInfo> {
    if (this.#catalogDownload) throw new FanoutError('BUSY', 'A catalog download is already running');
    const controller = new AbortController();
    this.#catalogDownload = controller;
    this.#catalogProgress = { mirror, phase: 'downloading', url: '', bytes: 0, total: null };
    const progress = (p: Omit<CatalogProgress, 'kind'>) => {
      this.#catalogProgress = { mirror, ...p };
      this.#emit('catalog:event', { kind: 'catalog:progress', ...p });
    };
    let end: CatalogFinished;
    try {
      const fetcher = this.opts.downloadCatalog ?? downloadCatalog;
      const got = await fetcher(mirror, {
        destDir: join(this.opts.dataDir, 'catalogs'),
        signal: controller.signal,
        onProgress: (p) => progress({ phase: 'downloading', ...p }),
      });
      progress({ phase: 'loading', url: got.url, bytes: got.bytes, total: got.bytes });
      const info = await this.catalogs.load(got.path, controller.signal);
      const downloaded: DownloadedCatalogInfo = { ...info, url: got.url, downloadedBytes: got.bytes, downloadMs: got.ms };
      end = { kind: 'catalog:finished', mirror, ok: true, info: downloaded };
      return downloaded;
    } catch (raw) {
      end = { kind: 'catalog:finished', mirror, ok: false, error: serializeError(raw) };
      throw raw;
    } finally {
      this.#catalogDownload = null;
      this.#catalogProgress = null;
      // Every page hears the end, not only the one whose call this is (a page reloaded mid-download).
      this.#catalogLast = end!;
      this.#emit('catalog:event', end!);
    }
  }

  /** Subscribes to host events (job telemetry, lab progress); returns an unsubscribe function. */
  onEvent(sink: EventSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  #emit<E extends EventName>(name: E, payload: Events[E]): void {
    for (const s of this.#sinks) {
      try {
        s(name, payload);
      } catch {
        // one broken consumer must not affect the others
      }
    }
  }

  /** Validates and runs one command. Never throws: failures come back as `{ ok: false, error }`. */
  async handle(command: string, payload: unknown): Promise<Reply<unknown>> {
    try {
      const req = parseCommand(command, payload);
      const fn = this.#handlers[command as CommandName] as (r: unknown) => unknown;
      const value = await fn(req);
      return { ok: true, value: value ?? null };
    } catch (raw) {
      return { ok: false, error: serializeError(raw) };
    }
  }

  async shutdown(): Promise<void> {
    this.#catalogDownload?.abort();
    await this.jobs.shutdown();
  }
}
