/** The stragglers lab's table and notes for a terminal (the files are shared/lab/straggler-analysis.ts's). */
import type { StragglerAnalysis } from '../../../shared/lab/straggler-analysis';

const sec = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(2)} s`);

export function formatStragglerReport(a: StragglerAnalysis): string {
  // Nothing measured (refused at its start): no empty table; stderr says why.
  if (a.rows.length === 0) return '';
  const head = ['timeout', 'total', 'p50', 'p95', 'p99', 'max', 'retried', 'cut', 'done/failed'];
  const rows = a.rows.map((r) => [r.name, sec(r.medianMs), sec(r.p50), sec(r.p95), sec(r.p99), sec(r.maxMs), String(r.itemsRetried), String(r.timeouts), `${r.itemsDone}/${r.itemsFailed}`]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  let out = [line(head), ...rows.map(line)].join('\n') + '\n\n';
  out += 'Latency: each landed item, from its first attempt to landing (re-issues included); retried: items that took more than one attempt; cut: attempts stopped by the timeout.\n';
  for (const n of a.notes) out += `- ${n}\n`;
  return out;
}
