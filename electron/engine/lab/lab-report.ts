/**
 * The lab's results for a terminal and a folder: the table with the fits, the recommended N and
 * the notes as text, and the files (CSV, SVG, JSON of the points) written atomically into a folder.
 */
import { join } from 'node:path';
import type { LabPoint } from '../../../shared/ipc';
import type { LabAnalysis } from '../../../shared/lab/lab-analysis';
import type { QueueAnalysis } from '../../../shared/lab/queue-analysis';
import { labCsv, labSvg } from '../../../shared/lab/lab-files';
import { labJson } from '../../../shared/lab/lab-json';
import { writeFileAtomic } from '../output/atomic-file';

const times = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}×`);
const pct = (x: number | null) => (x === null ? '–' : `${Math.round(100 * x)}%`);

/** Columns before `left` are padded on the right (names), the rest on the left (numbers). */
function table(head: string[], rows: string[][], left = 3): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/** The table of cells, then the fits, the recommendation and the notes. */
export function formatLabReport(a: LabAnalysis): string {
  // Nothing measured (refused at its start, e.g. its folder in use): no empty table; stderr says why.
  if (a.rows.length === 0) return '';
  const rows = a.rows.map((r) => [r.strategy, r.scrubExecutor, String(r.workers), `${r.seconds.toFixed(2)} s`, times(r.vsSerial), times(r.vsOneWorker), pct(r.efficiency), r.karpFlatt === null ? '–' : r.karpFlatt.toFixed(3), `${r.itemsDone}/${r.itemsFailed}`]);
  let out = table(['strategy', 'scrub', 'workers', 'time', 'vs serial', 'vs 1 worker', 'efficiency', 'e(n)', 'done/failed'], rows);
  out += '\n';
  if (a.amdahl && a.best) out += `Amdahl (${a.best.label}): p = ${a.amdahl.p.toFixed(3)}, ceiling ${Number.isFinite(a.amdahl.ceiling) ? `${a.amdahl.ceiling.toFixed(1)}×` : '∞'}\n`;
  if (a.usl) out += `USL: σ = ${a.usl.sigma.toFixed(3)}, κ = ${a.usl.kappa.toFixed(4)}, N* ${Number.isFinite(a.usl.peak) ? `≈ ${a.usl.peak.toFixed(1)}` : '= ∞'}\n`;
  out += `Recommended N: ${a.recommended ?? '– (no speedup measured against one worker or serial)'}\n`;
  for (const n of a.notes) out += `- ${n}\n`;
  return out;
}

export interface LabFiles {
  csv: string;
  svg: string;
  json: string;
}

// The JSON text is shared with the UI's Export (shared/lab/lab-json.ts).
export { labJson };

/** Writes a lab's lab.csv, lab.svg and lab.json into `dir`, each atomically. */
export async function writeLabFileSet(dir: string, content: { csv: string; svg: string; json: unknown }): Promise<LabFiles> {
  const files: LabFiles = { csv: join(dir, 'lab.csv'), svg: join(dir, 'lab.svg'), json: join(dir, 'lab.json') };
  await writeFileAtomic(files.csv, content.csv);
  await writeFileAtomic(files.svg, content.svg);
  await writeFileAtomic(files.json, labJson(content.json));
  return files;
}

/** The speedup labs' files: the cells' CSV, the speedup chart, the points and analysis. */
export function writeLabFiles(dir: string, points: readonly LabPoint[], a: LabAnalysis, title: string): Promise<LabFiles> {
  return writeLabFileSet(dir, { csv: labCsv(a.rows), svg: labSvg(a, title), json: { points, analysis: a } });
}

/** The queue lab's table and notes. */
export function formatQueueReport(a: QueueAnalysis): string {
  if (a.rows.length === 0) return '';
  const rows = a.rows.map((r) => [r.bound === null ? 'unbounded' : String(r.bound), `${r.seconds.toFixed(2)} s`, r.booksPerSecond.toFixed(1), `${(r.blockedMs / 1000).toFixed(2)} s`, String(r.peakInFlight), `${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB`, `${r.itemsDone}/${r.itemsFailed}`]);
  let out = table(['bound', 'time', 'books/s', 'waited', 'peak queued', 'peak RSS', 'done/failed'], rows, 1);
  out += '\n';
  for (const n of a.notes) out += `- ${n}\n`;
  return out;
}
