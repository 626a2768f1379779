/**
 * The job's state named by the CLI's internal-error line when the process runs out of things to do
 * while the job has not ended (run-cli.ts onNothingLeft, run-job-in-terminal.ts jobState).
 */
import { expect, it } from 'vitest';
import { jobState } from '../../../electron/cli/run-job-in-terminal';
import type { TelemetryFrame, WorkerSnapshot } from '../../../shared/events';

const started = { kind: 'job:started', jobId: 'g-7', jobKind: 'gutenberg', strategy: 'queue', workers: 3, itemsTotal: 150, outDir: '/o' } as const;
const lane = (state: string) => ({ state }) as unknown as WorkerSnapshot;

it('before the job started, before its first frame, and with one', () => {
  expect(jobState(undefined, undefined, 'books')).toBe('the job had not started');
  expect(jobState(started, undefined, 'books')).toBe('gutenberg job g-7: started, no progress told yet');
  const frame = { t: 31_240, itemsTotal: 150, itemsDone: 12, itemsFailed: 0, itemsCleaned: 10, workers: [lane('connecting'), lane('idle'), lane('idle')] } as unknown as TelemetryFrame;
  expect(jobState(started, frame, 'books')).toBe('gutenberg job g-7: 12 of 150 books done, 0 failed, 10 cleaned, at 31.2 s; workers: 1 connecting, 2 idle');
});
