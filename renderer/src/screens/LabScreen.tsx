import { useEffect } from 'react';
import { LAB_KINDS, type LabKind } from '../../../shared/ipc';
import { refreshHistory } from '../stores/app-store';
import { showLab, useLabStore } from '../stores/lab-store';
import { GutenbergLabPanel } from './lab/GutenbergLabPanel';
import { IoCpuPanel } from './lab/IoCpuPanel';
import { MailLabPanel } from './lab/MailLabPanel';
import { QueueLabPanel } from './lab/QueueLabPanel';
import { ScrubLabPanel } from './lab/ScrubLabPanel';
import { StragglerLabPanel } from './lab/StragglerLabPanel';

const TITLES: Record<LabKind, string> = {
  gutenberg: 'Downloads: strategies × workers',
  scrub: 'Cleaning: threads vs processes',
  queue: 'Queue bound between stages',
  mail: 'Mail: strategies × connections',
  stragglers: 'Timeouts and stragglers',
};

const PANELS: Record<LabKind, () => React.JSX.Element> = {
  gutenberg: GutenbergLabPanel,
  scrub: ScrubLabPanel,
  queue: QueueLabPanel,
  mail: MailLabPanel,
  stragglers: StragglerLabPanel,
};

/**
 * The concurrency lab: one experiment at a time, each with its grid, one Run, and its chart, table
 * and notes (shared/lab, the numbers and sentences of `fanout lab <kind>`). Each kind's last run is
 * kept, so the download and scrub curves can be compared on one chart.
 */
export function LabScreen() {
  const shown = useLabStore((s) => s.shown);
  useEffect(() => {
    refreshHistory().catch(() => {});
  }, []);
  const Panel = PANELS[shown];
  return (
    <section className="screen lab" data-testid="screen-lab">
      <div className="lab-kinds" role="tablist">
        {LAB_KINDS.map((k) => (
          <button key={k} role="tab" aria-selected={shown === k} className={shown === k ? 'active' : ''} data-testid={`lab-kind-${k}`} onClick={() => showLab(k)}>{TITLES[k]}</button>
        ))}
      </div>
      <Panel key={shown} />
      {(shown === 'gutenberg' || shown === 'scrub') && <IoCpuPanel />}
    </section>
  );
}
