import type { GutenbergJobSpec } from '../../shared/job-spec';
import { analyseStragglerLab, stragglerCsv, stragglerSvg, timeoutName, type StragglerPoint } from '../../shared/lab/straggler-analysis';
import { LAB_TITLES } from '../../shared/lab/lab-titles';
import { runStragglerLab } from '../engine/lab/straggler-lab';
import { formatStragglerReport } from '../engine/lab/straggler-report';
import { finishLab, measureInTerminal } from './run-lab-in-terminal';
import type { LabNotInCatalog } from '../engine/lab/lab-not-in-catalog';

/** `fanout lab stragglers`: the sample run once per per-item timeout; reported like every lab (exit 1 when a cell had failed items). */
export async function runStragglerLabInTerminal(o: { spec: GutenbergJobSpec; timeouts: Array<number | null>; repeats: number; sample: number; json: boolean; notInCatalog?: LabNotInCatalog | undefined }): Promise<number> {
  const spec: GutenbergJobSpec = { ...o.spec, selection: { ...o.spec.selection, limit: o.sample } };
  process.stderr.write(`lab stragglers: ${o.sample} books, ${spec.strategy} with ${spec.workers} workers, per-item timeouts ${o.timeouts.map(timeoutName).join(', ')}\n`);
  const { points, status, error } = await measureInTerminal<StragglerPoint>(
    (signal, onPoint) => runStragglerLab({ spec, timeouts: o.timeouts, repeats: o.repeats, signal, onPoint }),
    (p) => `timeout ${timeoutName(p.timeoutMs)}`,
  );
  const analysis = analyseStragglerLab(points, { rateCap: spec.limitRate ?? null });
  const title = LAB_TITLES.stragglers(o.sample, spec.workers);
  return finishLab({ cells: points.length, status, error, outDir: spec.outDir, json: o.json, notInCatalog: o.notInCatalog, files: { csv: stragglerCsv(analysis.rows), svg: stragglerSvg(analysis, title), json: { points, analysis } }, text: formatStragglerReport(analysis) });
}
