import { InvalidArgumentError, Option, type Command } from 'commander';
import { GUTENBERG_MIRRORS, MIRROR_LIST_DATE, MIRROR_LIST_SOURCE, ROBOT_POLICY_URL, type GutenbergMirror } from '../../shared/gutenberg-mirrors';
import type { MirrorProbe } from '../engine/net/probe-mirror';
import { positiveInt } from './cli-validation';
import { repeatable } from './usage-errors';

/** The list for people: one line per URL, grouped by where the mirror is. */
export function formatMirrorList(mirrors: readonly GutenbergMirror[], probes?: Map<string, MirrorProbe>): string {
  const lines = [`Project Gutenberg mirrors (${MIRROR_LIST_SOURCE}, copy of ${MIRROR_LIST_DATE})`, ''];
  for (const m of mirrors) {
    const where = `${m.continent} / ${m.nation} / ${m.location}`;
    const p = probes?.get(m.url);
    const probe = p ? `  ${p.ok ? `${p.rttMs ?? '?'} ms, ${p.answer}` : `unreachable: ${p.error}`}` : '';
    lines.push(`${m.url}${m.mainSite ? '  [main site: not for bulk jobs]' : ''}${probe}`);
    lines.push(`    ${where} · ${m.provider}${m.note ? ` · ${m.note}` : ''}`);
  }
  lines.push('', `Bulk downloads must use a mirror, not www.gutenberg.org (${ROBOT_POLICY_URL}).`);
  return `${lines.join('\n')}\n`;
}

/** Probes for people: round trip and first answer per URL. */
export function formatProbes(probes: MirrorProbe[]): string {
  return `${probes.map((p) => `${p.url}  ${p.ok ? `${p.rttMs ?? '?'} ms  ${p.answer}` : `unreachable${p.rttMs !== null ? ` (connected in ${p.rttMs} ms)` : ''}: ${p.error}`}`).join('\n')}\n`;
}

/** Why no mirror of the list answered, and what to check. */
export function noMirrorAnswered(probes: MirrorProbe[]): string {
  const lookup = probes.map((p) => p.lookupFailed);
  const first = lookup[0];
  if (first && lookup.every((c) => c === first)) return `none of the ${probes.length} mirrors answered: every name lookup failed (getaddrinfo ${first}); is this machine offline? Check its network and DNS`;
  return `none of the ${probes.length} mirrors answered; check this machine's network (a firewall or proxy between it and the internet?)`;
}

function urlOption(value: string, previous: string[] = []): string[] {
  try {
    new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL`);
  }
  return [...previous, value];
}

export function registerMirrorsCommand(program: Command): void {
  program
    .command('mirrors')
    .description("list Project Gutenberg's official mirrors (and probe their round trip and protocols)")
    .option('--probe', 'connect to each one: round trip (TCP connect) and first answer (HTTP HEAD, FTP banner, rsync greeting)')
    .addOption(repeatable(new Option('--url <url>', 'probe this URL instead of the list (repeatable)').argParser(urlOption)))
    .option('--timeout <ms>', 'per probe, ms', positiveInt, 5000)
    .option('--json', 'print JSON')
    .action(async (o: { probe?: boolean; url?: string[]; timeout: number; json?: boolean }) => {
      if (!o.probe && !o.url) {
        process.stdout.write(o.json ? `${JSON.stringify({ source: MIRROR_LIST_SOURCE, date: MIRROR_LIST_DATE, mirrors: GUTENBERG_MIRRORS }, null, 2)}\n` : formatMirrorList(GUTENBERG_MIRRORS));
        return;
      }
      const { probeMirrors } = await import('../engine/net/probe-mirror');
      const urls = o.url ?? GUTENBERG_MIRRORS.map((m) => m.url);
      const probes = await probeMirrors(urls, { timeoutMs: o.timeout, concurrency: 4 });
      if (o.json) process.stdout.write(`${JSON.stringify(probes, null, 2)}\n`);
      else if (o.url) process.stdout.write(formatProbes(probes));
      else process.stdout.write(formatMirrorList(GUTENBERG_MIRRORS, new Map(probes.map((p) => [p.url, p]))));
      // Exit 1 when a URL named on the command line did not answer (scripts can test one mirror).
      if (o.url && probes.some((p) => !p.ok)) process.exitCode = 1;
      // The list probed and not one answer: the machine's network, not the mirrors; say so (exit 1).
      if (!o.url && probes.length > 0 && probes.every((p) => !p.ok)) {
        process.stderr.write(`error: ${noMirrorAnswered(probes)}\n`);
        process.exitCode = 1;
      }
    });
}
