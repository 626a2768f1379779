import type { AutoWorkersSample } from './auto-workers-options';

/**
 * `--workers auto`'s first step before any window (`sizeFirstStep`, Gutenberg jobs): what evidence
 * the pool's first-byte and set-up times (first-byte-times.ts) must show, and how far it goes.
 * Every 100 ms at the start N costs ~85 ms of a job that should be at 32, so the first step is taken
 * as soon as the evidence is there; the controller (auto-workers.ts) reads where it landed.
 */

/**
 * The sized step is taken as soon as this many items finished and they waited at least
 * `EARLY_WAIT_RATIO` × their transfer for a first byte: the sizing needs nothing more.
 */
const EARLY_ITEMS = 2;
const EARLY_WAIT_RATIO = 3;

/**
 * Before any item finished: this many sessions took `SET_UP_MS` or more each to be ready (an FTP
 * login: connect, banner, USER/PASS: two round trips or more) is evidence enough that the job waits
 * on round trips, ~0.2 s before the first files' transfers say so. A server on this machine logs in
 * within a few ms; an HTTP session is ready before it connects (its connect is the first byte's wait).
 */
const SET_UP_SESSIONS = 2;
const SET_UP_MS = 40;
/**
 * How far the set-up step goes: × 4, slow start's step. Not the full sized jump: a login says
 * nothing of how long a file then transfers (a slow link with a far server logs in as slowly); the
 * items' waits size the next step, from there, as soon as two have finished.
 */
const SET_UP_STEP = 4;

/** The sized step from `n`: N × (wait + transfer) / transfer, at least × 2, under `cap`. */
export function sizedFirstStep(n: number, waiting: number, cap: number): number {
  return Math.min(cap, Math.max(2 * n, Math.round(n / (1 - Math.min(waiting, 0.99)))));
}

/** The share of the finished items' time spent waiting, when it is enough for the early step (else null). */
function earlyWaiting(s: AutoWorkersSample): number | null {
  if (s.rateCap || s.waitMs === undefined || !s.transferMs || s.items < EARLY_ITEMS || s.waitMs < EARLY_WAIT_RATIO * s.transferMs) return null;
  return s.waitMs / (s.waitMs + s.transferMs);
}

/**
 * The sessions' mean set-up, ms, when it is evidence for the set-up step (else null): nothing finished
 * yet (finished items' waits say more), no bandwidth cap (its pacing is waiting too). Sessions still
 * setting up count with their time so far (a lower bound): the evidence is there before they end.
 */
function setUpEvidence(s: AutoWorkersSample): { sessions: number; mean: number; pending: number } | null {
  const pending = s.settingUp ?? 0;
  const sessions = (s.setUps ?? 0) + pending;
  if (s.rateCap || s.items > 0 || sessions < SET_UP_SESSIONS) return null;
  const mean = ((s.setUpMs ?? 0) + (s.settingUpMs ?? 0)) / sessions;
  return mean >= SET_UP_MS ? { sessions, mean, pending } : null;
}

/** The early jump from `n` (under `cap`) when the first items' waits are evidence enough (else null). */
export function earlyJump(s: AutoWorkersSample, n: number, cap: number): { next: number; waiting: number; why: string } | null {
  const waiting = earlyWaiting(s);
  if (waiting === null || n >= cap) return null;
  const next = sizedFirstStep(n, waiting, cap);
  return { next, waiting, why: `${s.items} items waited ${Math.round(waiting * 100)} % of their time for a first byte (${n} connections); trying ${next} at once` };
}

/** The step from the sessions' set-up from `n` (under `cap`): × `SET_UP_STEP` when they are evidence enough (else null). */
export function setUpStep(s: AutoWorkersSample, n: number, cap: number): { next: number; why: string } | null {
  const e = setUpEvidence(s);
  if (e === null || n >= cap) return null;
  const next = Math.min(cap, n * SET_UP_STEP);
  const took = e.pending > 0 ? `have taken ${Math.round(e.mean)} ms each so far (${e.pending} still logging in)` : `took ${Math.round(e.mean)} ms each`;
  return { next, why: `${e.sessions} sessions ${took} to set up, before any byte (round trips: latency); trying ${next} at once` };
}
