import type { JobSummary } from './events';

/**
 * What the lanes' 'waiting to clean' added up to over a Gutenberg run (the summary's `scrubStage`),
 * for the CLI's summary and the live view's finished header (each in its own words): null under a
 * second in all (no bottleneck worth a line) or without a scrub stage; else the wait and how full the
 * stage got (`up to N books`, `, its bound` when it reached it).
 */
export function scrubStageWait(stage: JobSummary['scrubStage']): { blockedMs: number; held: string } | null {
  if (!stage || stage.blockedMs < 1000) return null;
  const atBound = stage.bound !== null && stage.peakInFlight >= stage.bound;
  return { blockedMs: stage.blockedMs, held: `up to ${stage.peakInFlight} books${atBound ? ', its bound' : ''}` };
}
