/**
 * The lab's results for a terminal and a folder: the table with the fits, the recommended N and
 * the notes as text, and the files (CSV, SVG, JSON of the points) written atomically into a folder.
 */
import { join } from 'node:path';
import type { LabPoint } from '../../../shared/ipc';
import type { LabAnalysis } from '../../../shared/lab/lab-analysis';
import { labCsv, labSvg } from '../../../shared/lab/lab-files';
import { writeFileAtomic } from '../output/atomic-file';

const times = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}×`);
const pct = (x: number | null) => (x === null ? '–' : `${Math.round(100 * x)}%`);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/** The table of cells, then the fits, the recommendation and the notes. */
export function formatLabReport(a: LabAnalysis): string {
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

/** Writes lab.csv, lab.svg and lab.json (points and analysis) into `dir`, each atomically. */
export async function writeLabFiles(dir: string, points: readonly LabPoint[], a: LabAnalysis, title: string): Promise<LabFiles> {
  const files: LabFiles = { csv: join(dir, 'lab.csv'), svg: join(dir, 'lab.svg'), json: join(dir, 'lab.json') };
  await writeFileAtomic(files.csv, labCsv(a.rows));
  await writeFileAtomic(files.svg, labSvg(a, title));
  // Infinity (an unbounded USL peak) is not JSON: written as null.
  await writeFileAtomic(files.json, JSON.stringify({ points, analysis: a }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  return files;
}
