/**
 * The mail lab: the same account (or folders) archived under each strategy × number of IMAP
 * connections, each run into a fresh folder, so every cell fetches every message (issue 11,
 * experiment 1: serial vs a shared queue vs splitting vs adaptive over N connections).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobEvent } from '../../../shared/events';
import type { LabPoint } from '../../../shared/ipc';
import type { MailJobSpec } from '../../../shared/job-spec';
import type { Strategy } from '../../../shared/strategy';
import type { JobRunner } from '../jobs/job-manager';
import { listMailFolders, type MailFolderInfo } from '../mail/folders';
import { runMailJob } from '../mail/run-mail-job';
import type { OutputLock } from '../output/output-lock';
import { prepareOutputFolder } from '../output/prepare-folder';
import { MAIL_FILES } from '../core/open-files-check';
import { measureCells, refuseCellsPastOpenFiles, type LabCell } from './measure-cells';

export interface MailLabRequest {
  spec: MailJobSpec;
  strategies: readonly Strategy[];
  connectionCounts: readonly number[];
  repeats: number;
  signal: AbortSignal;
  onPoint: (p: LabPoint, done: number, cells: number) => void;
  /** Each run's job events (frames with the connections' timeline spans), for the UI's timeline. */
  onRunEvent?: (cell: LabCell, repeat: number, event: JobEvent) => void;
  /** Runs one job (a test's hook); default `runMailJob`. */
  run?: JobRunner<MailJobSpec>;
}

/** Serial is one connection by definition: it gets one cell. */
export function mailLabCells(strategies: readonly Strategy[], counts: readonly number[]): LabCell[] {
  const sorted = [...new Set(counts)].sort((a, b) => a - b);
  return strategies.flatMap((strategy) => (strategy === 'serial' ? [1] : sorted).map((workers): LabCell => ({ strategy, workers, scrubExecutor: 'threads' })));
}

/**
 * The warm-up job's folder: the smallest of those the lab archives that holds a message (a small
 * job that still fetches, so parsing is compiled too); null when none can be selected.
 */
export function warmUpFolder(listed: readonly MailFolderInfo[], wanted: MailJobSpec['folders']): string | null {
  const names = wanted === 'all' ? null : new Set(wanted.map((w) => w.toLowerCase()));
  const mine = listed.filter((f) => f.selectable && (!names || names.has(f.path.toLowerCase())));
  const sized = [...mine].sort((a, b) => (a.messages || Infinity) - (b.messages || Infinity));
  return sized[0]?.path ?? null;
}

export async function runMailLab(req: MailLabRequest): Promise<LabPoint[]> {
  const base = join(req.spec.outDir, `.fanout-lab-${randomUUID().slice(0, 8)}`);
  const cells = mailLabCells(req.strategies, req.connectionCounts);
  // Cells whose connections a job would lower to fit the open-files limit are refused before any login.
  const openFiles = { profile: MAIL_FILES, noun: 'connections' as const };
  refuseCellsPastOpenFiles(cells, openFiles);
  let lock: OutputLock | null = null;
  try {
    // Held like a job's: an archive run into the same folder is refused while the lab measures.
    lock = await prepareOutputFolder(req.spec.outDir, 'lab', [], { keep: true });
    // A login or listing refused here would refuse every cell too: it ends the lab, as a cell's `(job)` failure does.
    const folder = warmUpFolder(await listMailFolders(req.spec.account, { timeoutMs: req.spec.timeoutMs, signal: req.signal }), req.spec.folders);
    return await measureCells({
      cells,
      repeats: req.repeats,
      base,
      signal: req.signal,
      specFor: (cell, outDir): MailJobSpec => ({ ...req.spec, strategy: cell.strategy, connections: cell.workers, outDir }),
      run: req.run ?? runMailJob,
      openFiles,
      onPoint: req.onPoint,
      // The smallest folder under the first cell's settings, unmeasured: the first cell does not pay the start-up.
      ...(folder === null ? {} : { warmUp: (outDir: string): MailJobSpec => ({ ...req.spec, strategy: cells[0]!.strategy, connections: cells[0]!.workers, folders: [folder], outDir }) }),
      ...(req.onRunEvent ? { onRunEvent: req.onRunEvent } : {}),
    });
  } finally {
    await rm(base, { recursive: true, force: true }).catch(() => {});
    await lock?.release();
  }
}
