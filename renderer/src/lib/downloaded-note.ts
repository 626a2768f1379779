import type { JobSummary } from '../../../shared/events';
import { scrubStageWait } from '../../../shared/scrub-stage-wait';

/**
 * What the live header says of a Gutenberg run's books downloaded but not done yet: a book is done
 * once cleaned and on disk with its manifest line, so the done count trails the downloads by the
 * books the scrubber holds. While it has cleaned none (a cold start: its threads start with the
 * job's first books), they wait for it, and the header says so rather than "being cleaned"; the
 * workers whose book waits for room in the scrub stage ('waiting to clean') are what the run waits for.
 */
export interface DownloadedNoteInput {
  /** Books downloaded and handed to cleaning so far (`RunHeader.downloaded`); null: not known. */
  downloaded: number | null;
  itemsDone: number;
  itemsFailed: number;
  /** Books the scrubber has cleaned (the frame's `itemsCleaned`). */
  itemsCleaned: number;
  status: 'idle' | 'running' | 'paused' | 'finished';
  /** Lanes in the 'waiting to clean' state now. */
  lanesWaitingToClean: number;
}

/** The note and how many books are downloaded and not done (null: nothing to say: unknown, or the run finished). */
export function downloadedNote(h: DownloadedNoteInput): { text: string; waiting: number } | null {
  if (h.downloaded === null || h.status === 'finished') return null;
  const waiting = Math.max(0, h.downloaded - h.itemsDone - h.itemsFailed);
  let text = `${h.downloaded.toLocaleString()} downloaded`;
  if (waiting > 0) text += h.itemsCleaned === 0 ? `, ${waiting.toLocaleString()} waiting for the scrubber (none cleaned yet)` : `, ${waiting.toLocaleString()} being cleaned`;
  const lanes = h.lanesWaitingToClean;
  if (lanes > 0) text += `; ${lanes} ${lanes === 1 ? 'worker' : 'workers'} waiting to clean`;
  return { text, waiting };
}

/**
 * What the lanes' 'waiting to clean' added up to over the run (the summary's `scrubStage`), for the
 * finished header; null under a second in all (no bottleneck worth a line) or without a scrub stage.
 */
export function cleaningWaitNote(stage: JobSummary['scrubStage']): string | null {
  const wait = scrubStageWait(stage);
  return wait && `Workers waited ${(wait.blockedMs / 1000).toFixed(1)} s in all for room in the scrub stage (${wait.held}): cleaning was the bottleneck.`;
}
