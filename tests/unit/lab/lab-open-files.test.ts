/**
 * A lab's open-files pre-flight (lab/measure-cells.ts `refuseCellsPastOpenFiles`): cells a job would
 * run at fewer workers than asked (core/open-files-check.ts) are refused before anything is measured,
 * never reported at N though they ran at M < N. The limit is given (the real one: the integration
 * test lab-open-files, under prlimit).
 */
import { describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import { MAIL_FILES } from '../../../electron/engine/core/open-files-check';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { measureCells, refuseCellsPastOpenFiles, type LabCell } from '../../../electron/engine/lab/measure-cells';

const cell = (strategy: LabCell['strategy'], workers: number): LabCell => ({ strategy, workers, scrubExecutor: 'threads' });

function refusal(f: () => void): FanoutError | null {
  try {
    f();
    return null;
  } catch (err) {
    if (err instanceof FanoutError) return err;
    throw err;
  }
}

describe('refuseCellsPastOpenFiles', () => {
  it('cells that fit (or a limit not known) pass', () => {
    expect(refusal(() => refuseCellsPastOpenFiles([cell('queue', 1), cell('queue', 8)], { limit: 100 }))).toBeNull();
    expect(refusal(() => refuseCellsPastOpenFiles([cell('queue', 1000)], { limit: null }))).toBeNull();
  });

  it('Gutenberg cells past the limit: refused, naming them, the most that fit and the fix', () => {
    const err = refusal(() => refuseCellsPastOpenFiles([cell('serial', 1), cell('queue', 8), cell('queue', 48), cell('adaptive', 64)], { limit: 150 }));
    expect(err?.code).toBe('OUT_OF_RESOURCES');
    expect(err?.message).toBe(
      'this process may have 150 files and connections open (ulimit -n): the cells at 48, 64 workers need about 184, 232 (3 each + 40, at least 47): ' +
        'a job would run them at 36 workers, not 48, 64, so they are not measured; measure at most 36 workers, ' +
        "or raise the limit to 232 or more (ulimit -n 1024 in the shell that starts fanout; above the hard limit, ulimit -Hn, only an administrator can: a systemd service's LimitNOFILE=, docker run --ulimit nofile=1024:1024)",
    );
  });

  it('serial cells are one worker, never lowered; a --max-per-host cap is what a cell runs', () => {
    expect(refusal(() => refuseCellsPastOpenFiles([cell('serial', 64)], { limit: 50 }))).toBeNull();
    expect(refusal(() => refuseCellsPastOpenFiles([cell('queue', 64)], { limit: 150, cap: 8 }))).toBeNull();
    expect(refusal(() => refuseCellsPastOpenFiles([cell('queue', 64)], { limit: 150, cap: 48 }))?.message).toContain('the cells at 48 workers need about 184');
  });

  it('mail: connections, 9 each + 24', () => {
    const err = refusal(() => refuseCellsPastOpenFiles([cell('queue', 2), cell('split', 16)], { limit: 100, profile: MAIL_FILES, noun: 'connections' }));
    expect(err?.message).toContain('the cells at 16 connections need about 168 (9 each + 24, at least 57): a job would run them at 8 connections, not 16');
  });
});

describe('measureCells', () => {
  it('a cell past the limit: nothing runs (not the warm-up, not the cells that fit)', async () => {
    const ran: string[] = [];
    const run = (spec: string): Promise<JobSummary> => {
      ran.push(spec);
      return Promise.reject(new Error('must not run'));
    };
    await expect(
      measureCells({
        cells: [cell('queue', 1), cell('queue', 48)],
        repeats: 1,
        base: '/nonexistent/lab',
        signal: new AbortController().signal,
        specFor: (c) => `cell ${c.workers}`,
        run,
        onPoint: () => {},
        warmUp: () => 'warm-up',
        openFiles: { limit: 150 },
      }),
    ).rejects.toThrow(/the cells at 48 workers need about 184/);
    expect(ran).toEqual([]);
  });
});
