import type { LabPoint } from '../../shared/ipc';
import type { MailJobSpec } from '../../shared/job-spec';
import { LAB_TITLES } from '../../shared/lab/lab-titles';
import type { Strategy } from '../../shared/strategy';
import { runMailLab } from '../engine/lab/mail-lab';
import { measureInTerminal, reportLab } from './run-lab-in-terminal';

/** `fanout lab mail`: each strategy × connections archives the account into a fresh folder; reported like every lab. */
export async function runMailLabInTerminal(o: { spec: MailJobSpec; strategies: Strategy[]; connectionCounts: number[]; repeats: number; json: boolean }): Promise<number> {
  process.stderr.write(`lab mail: ${o.spec.account.user}@${o.spec.account.host}, ${o.strategies.join(', ')} × ${o.connectionCounts.join(',')} connections\n`);
  const { points, status, error } = await measureInTerminal<LabPoint>(
    (signal, onPoint) => runMailLab({ spec: o.spec, strategies: o.strategies, connectionCounts: o.connectionCounts, repeats: o.repeats, signal, onPoint }),
    (p) => `${p.strategy} ×${p.workers} connections`,
  );
  return reportLab({ points, status, error, outDir: o.spec.outDir, json: o.json, title: LAB_TITLES.mail(o.spec.account.host) });
}
