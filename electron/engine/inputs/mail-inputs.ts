import { checkAutoWorkers } from '../../../shared/input-checks';
import type { MailJobSpec } from '../../../shared/job-spec';
import { checkOutputFolder } from './file-checks';
import type { InputCheck } from './job-inputs';

/** The mail job's inputs that can be checked before connecting, beyond its schema (which checks the host name): auto needs queue/adaptive, the output folder. */
export async function checkMailInputs(spec: MailJobSpec): Promise<InputCheck> {
  const out: InputCheck = { problems: [], warnings: [] };
  const auto = checkAutoWorkers(spec.autoWorkers, spec.strategy, 'messages');
  if (auto) out.problems.push({ field: 'strategy', value: spec.strategy, message: auto });
  const folder = await checkOutputFolder(spec.outDir);
  if (folder) out.problems.push({ field: 'outDir', value: spec.outDir, message: folder });
  return out;
}
