import { useMemo } from 'react';
import type { LabPoint } from '../../../../shared/ipc';
import { SpeedupChart } from '../../charts/SpeedupChart';
import { ioCpuView } from '../../lib/io-cpu';
import { useLabStore } from '../../stores/lab-store';
import { LabNotes } from './LabExports';

/**
 * I/O-bound vs CPU-bound: the last Gutenberg lab's download speedup beside the last scrub lab's
 * speedup in threads and processes, on one chart, with where each curve stands against the cores.
 * Shown once both labs have finished points.
 */
export function IoCpuPanel() {
  const download = useLabStore((s) => (s.runs.gutenberg?.status !== 'running' ? s.runs.gutenberg : undefined));
  const scrub = useLabStore((s) => (s.runs.scrub?.status !== 'running' ? s.runs.scrub : undefined));
  const view = useMemo(
    () => (download && scrub ? ioCpuView(download.points as LabPoint[], scrub.points as LabPoint[], scrub.context.cores) : null),
    [download, scrub],
  );
  if (!view) return null;
  return (
    <section className="lab-io-cpu" data-testid="lab-io-cpu">
      <h3>I/O-bound vs CPU-bound ({view.cores} cores)</h3>
      <p className="muted">Download speedup (the Gutenberg lab, against connections) beside cleaning speedup (the scrub lab, against threads and child processes), each against its own one-worker time.</p>
      <LabNotes notes={view.notes} testId="lab-io-cpu-notes" />
      <SpeedupChart series={view.series} fit={null} usl={null} run={null} testId="io-cpu-chart" />
    </section>
  );
}
