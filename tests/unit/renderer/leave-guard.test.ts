/** When the browser page asks before it is closed or reloaded: while the host runs a job or a lab. */
import { describe, expect, it } from 'vitest';
import { shouldConfirmLeave, type PageActivity } from '../../../renderer/src/lib/leave-guard';

const idle: PageActivity = { jobIds: [], runStatus: 'idle', replay: false, labStatuses: [], foreignLabs: 0 };

describe('shouldConfirmLeave', () => {
  it('not when nothing runs, nor over a replay or a finished run', () => {
    expect(shouldConfirmLeave(idle)).toBe(false);
    expect(shouldConfirmLeave({ ...idle, runStatus: 'running', replay: true })).toBe(false);
    expect(shouldConfirmLeave({ ...idle, runStatus: 'finished', labStatuses: ['succeeded', 'failed'] })).toBe(false);
  });

  it('while a job runs (this page\'s, paused, or another page\'s) or a lab runs (seen starting or not)', () => {
    expect(shouldConfirmLeave({ ...idle, runStatus: 'running' })).toBe(true);
    expect(shouldConfirmLeave({ ...idle, runStatus: 'paused' })).toBe(true);
    expect(shouldConfirmLeave({ ...idle, jobIds: ['g1'] })).toBe(true);
    expect(shouldConfirmLeave({ ...idle, labStatuses: ['succeeded', 'running'] })).toBe(true);
    expect(shouldConfirmLeave({ ...idle, foreignLabs: 1 })).toBe(true);
  });
});
