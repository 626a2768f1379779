/** The question Electron's main asks before its window closes over a running job or lab. */
import { describe, expect, it } from 'vitest';
import { closeQuestion, confirmClose } from '../../../electron/main/close-guard';
import type { ActiveJob, ActiveLab } from '../../../shared/ipc';

const job: ActiveJob = { jobId: 'gutenberg-1', kind: 'gutenberg', paused: false, startedAt: '', lastFrame: null, outDir: '/home/u/corpus' };
const lab: ActiveLab = { labId: 'lab-1', lab: 'scrub', cells: 4, done: 1, startedAt: '' };

describe('closing the window', () => {
  it('asks nothing when nothing runs', () => {
    expect(closeQuestion([], [])).toBeNull();
    expect(confirmClose([], [], () => { throw new Error('must not ask'); })).toBe(true);
  });

  it('over a job: says what runs, where its work stays, and closes only on "Stop the job and close"', () => {
    const q = closeQuestion([job], [])!;
    expect(q.message).toBe('A Gutenberg job is running. Stop it and close Fanout?');
    expect(q.detail).toContain('/home/u/corpus');
    expect(q.buttons).toEqual(['Stop the job and close', 'Keep it running']);
    expect(confirmClose([job], [], () => 1)).toBe(false);
    expect(confirmClose([job], [], () => 0)).toBe(true);
    expect(closeQuestion([{ ...job, kind: 'mail', paused: true }], [])!.message).toBe('A mail job is running (paused). Stop it and close Fanout?');
  });

  it('over a lab: the same question, the lab named', () => {
    const q = closeQuestion([], [lab])!;
    expect(q.message).toBe('A lab is running (scrub, 1/4 cells). Stop it and close Fanout?');
    expect(q.buttons[0]).toBe('Stop the lab and close');
    expect(confirmClose([], [lab], () => 1)).toBe(false);
  });
});
