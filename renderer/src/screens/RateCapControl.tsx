import { useState } from 'react';
import { checkByteRate, parseByteRate } from '../../../shared/byte-rate';
// The units of the header's throughput and the chart beside it (binary, written KB): the cap read '256 KiB/s' next to '256 KB/s'.
import { formatBytes } from '../lib/format';
import { getApi } from '../api/api';
import { describeError } from '../stores/app-store';
import { useRunStore } from '../stores/run-store';

/**
 * The running Gutenberg job's bandwidth cap, changeable live (`job:set-rate`; the engine applies it
 * to the bytes already waiting, so it is felt within a second). The cap in force comes back on the
 * next frame and is drawn on the throughput chart.
 */
export function RateCapControl({ jobId }: { jobId: string }) {
  const cap = useRunStore((s) => s.rateCap);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const apply = async (bytesPerSecond: number | null) => {
    setBusy(true);
    try {
      await getApi().setJobRate({ jobId, bytesPerSecond });
      setText('');
      setProblem(null);
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const submit = () => {
    const typed = text.trim();
    const bad = typed ? checkByteRate(typed) : 'type a rate, e.g. 2M';
    if (bad) return setProblem(bad);
    void apply(parseByteRate(typed));
  };
  return (
    <span className="rate-cap" data-testid="rate-cap">
      <span className="muted">Cap: <b data-testid="rate-cap-value">{cap === null ? 'none' : `${formatBytes(cap)}/s`}</b></span>
      <input
        data-testid="rate-cap-input"
        aria-invalid={problem ? true : undefined}
        size={8}
        value={text}
        placeholder="e.g. 2M"
        onChange={(e) => {
          setText(e.target.value);
          setProblem(null);
        }}
        onKeyDown={(e) => e.key === 'Enter' && submit()}
      />
      <button data-testid="rate-cap-set" disabled={busy} onClick={submit}>Set cap</button>
      {cap !== null && <button data-testid="rate-cap-clear" disabled={busy} onClick={() => void apply(null)}>No cap</button>}
      {problem && <span className="error" role="alert">{problem}</span>}
    </span>
  );
}
