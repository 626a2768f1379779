import type { GutenbergJobSpec } from '../../shared/job-spec';
import { analyseQueueLab, queueCsv, queueSvg, type QueuePoint } from '../../shared/lab/queue-analysis';
import { LAB_TITLES } from '../../shared/lab/lab-titles';
import { formatQueueReport } from '../engine/lab/lab-report';
import { runQueueLab } from '../engine/lab/queue-lab';
import { finishLab, measureInTerminal } from './run-lab-in-terminal';
import type { LabNotInCatalog } from '../engine/lab/lab-not-in-catalog';

/** `fanout lab queue`: the sample run once per bound between the download and clean stages; reported like every lab. */
export async function runQueueLabInTerminal(o: { spec: GutenbergJobSpec; bounds: Array<number | null>; repeats: number; sample: number; json: boolean; notInCatalog?: LabNotInCatalog | undefined }): Promise<number> {
  const spec: GutenbergJobSpec = { ...o.spec, selection: { ...o.spec.selection, limit: o.sample } };
  process.stderr.write(`lab queue: ${o.sample} books, ${spec.strategy} with ${spec.workers} download workers, bounds ${o.bounds.map((b) => b ?? 'unbounded').join(',')}\n`);
  const { points, status, error } = await measureInTerminal<QueuePoint>(
    (signal, onPoint) => runQueueLab({ spec, bounds: o.bounds, repeats: o.repeats, signal, onPoint }),
    (p) => `bound ${p.bound ?? 'unbounded'}`,
  );
  const analysis = analyseQueueLab(points, { rateCap: spec.limitRate ?? null });
  const title = LAB_TITLES.queue(o.sample, spec.workers);
  return finishLab({ cells: points.length, status, error, outDir: spec.outDir, json: o.json, notInCatalog: o.notInCatalog, files: { csv: queueCsv(analysis.rows), svg: queueSvg(analysis, title), json: { points, analysis } }, text: formatQueueReport(analysis) });
}
