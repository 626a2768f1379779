/**
 * A job started as the web host and the desktop app start one (JobManager, the default runners),
 * in a process of its own so that a test can run it as another user. argv: data folder, output
 * folder, catalog, mirror. Prints one JSON line: the summary's status and failures, the warnings.
 */
import { defaultRunners } from '../../../electron/engine/jobs/default-runners';
import { JobManager } from '../../../electron/engine/jobs/job-manager';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';

const [dataDir, outDir, catalog, mirror] = process.argv.slice(2) as [string, string, string, string];
const manager = new JobManager({ dataDir, runners: defaultRunners() });
const warnings: string[] = [];
manager.on((e) => {
  if (e.kind === 'job:warning') warnings.push(e.message);
});
const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror, outDir, selection: { ids: [{ from: 5, to: 5 }] } });
const summary = await manager.start(spec).done;
let history: string;
try {
  history = `${(await manager.history.list()).length} run(s)`;
} catch (err) {
  history = (err as Error).message;
}
process.stdout.write(`${JSON.stringify({ status: summary.status, failures: summary.failures.map((f) => `${f.error.code}: ${f.error.message}`), warnings, history })}\n`);
process.exit(0);
