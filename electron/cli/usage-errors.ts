import type { Command, Option } from 'commander';
import { EXIT } from './exit-codes';

/**
 * Usage errors commander reports in its own way, made to say what is true, in one line:
 *
 * - An unknown option is reported before a missing required one. Commander checks required
 *   options first, so `fanout gutenberg --catalg x.csv` said "required option '--catalog <file>'
 *   not specified", and `fanout mail --usr a` that --host was missing: the typo was never named.
 *   Each command's required options are therefore checked in a preAction hook instead, which runs
 *   after commander's unknown-option check (`deferRequiredOptions`).
 * - An unknown option or command is one line with its suggestion: `error: unknown option --catalg
 *   (did you mean --catalog?)`, where commander printed the suggestion on a line of its own and
 *   suggested nothing for a prefix (`clean --out` for `--out-dir`).
 * - An option that takes a value, given twice, is refused: commander kept the last one silently
 *   (`--ids 5 --ids 7` downloaded 7 only; `--mirror a --mirror b` used b). An option meant to be
 *   given several times says so (`repeatable`).
 */

/** Optimal string alignment distance (Levenshtein with adjacent transpositions: "wrokers"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The name the user most likely meant, or null: the only candidate that starts with `word`
 * (`--out` → `--out-dir`), else the closest within a third of the word's length (at most 3 edits).
 * Candidates and word are compared without their leading dashes.
 */
export function closestName(word: string, candidates: readonly string[]): string | null {
  const bare = (s: string) => s.replace(/^-+/, '').toLowerCase();
  const w = bare(word);
  if (w === '') return null;
  const prefixed = candidates.filter((c) => bare(c).startsWith(w));
  if (prefixed.length === 1) return prefixed[0]!;
  let best: string | null = null;
  let bestDistance = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  for (const c of candidates) {
    const dist = editDistance(w, bare(c));
    if (dist <= bestDistance && (best === null || dist < bestDistance)) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** `fanout verify corpus`: the command as typed. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The long options `cmd` accepts: its own, and its ancestors' (`--debug`), `--help` included. */
function longOptions(cmd: Command): string[] {
  const out: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.createHelp().visibleOptions(c)) if (o.long) out.push(o.long);
  }
  return out;
}

/** `error: unknown option --catalg (did you mean --catalog?)`, or with where the options are listed. */
export function unknownOptionMessage(cmd: Command, flag: string): string {
  const name = flag.startsWith('--') ? flag.split('=')[0]! : flag;
  const guess = name.startsWith('--') ? closestName(name, longOptions(cmd)) : null;
  return guess
    ? `error: unknown option ${name} (did you mean ${guess}?)`
    : `error: unknown option ${name}; \`${commandPath(cmd)} --help\` lists the options`;
}

/** `error: unknown command gutenbreg (did you mean gutenberg?)`. */
export function unknownCommandMessage(cmd: Command, word: string): string {
  const guess = closestName(word, cmd.commands.map((c) => c.name()));
  return guess
    ? `error: unknown command ${word} (did you mean ${guess}?)`
    : `error: unknown command ${word}; \`${commandPath(cmd)} --help\` lists the commands`;
}

/** Options meant to be given more than once (each occurrence adds to a list). */
const REPEATABLE = new WeakSet<Option>();

/** Marks `option` as one that may be given several times (its parser collects the values). */
export function repeatable(option: Option): Option {
  REPEATABLE.add(option);
  return option;
}

/**
 * `error: --mirror is given twice (only the last would be used); give it once`. A list option's
 * values are joined for the user (`give one list: --ids 5,7`); no other value is shown (a URL may
 * carry a password).
 */
export function givenTwiceMessage(option: Option, values: readonly string[]): string {
  const name = option.long ?? option.short ?? option.flags;
  const fix = /<list>/.test(option.flags) ? `give one list: ${name} ${values.join(',')}` : 'give it once';
  return `error: ${name} is given twice (only the last would be used); ${fix}`;
}

/** Commander's own hooks for these two errors (not in its typings; kept stable since v2). */
interface CommanderInternals {
  unknownOption(flag: string): void;
  unknownCommand(): void;
}

/**
 * Applies the above to `program` and every command under it; call once all are registered, before
 * parsing. Required options stay listed as such in --help.
 */
export function refineUsageErrors(program: Command): void {
  const required = new Map<Command, Option[]>();
  const visit = (cmd: Command) => {
    const internals = cmd as unknown as CommanderInternals;
    internals.unknownOption = (flag: string) => cmd.error(unknownOptionMessage(cmd, flag), { exitCode: EXIT.badInput, code: 'commander.unknownOption' });
    internals.unknownCommand = () => cmd.error(unknownCommandMessage(cmd, cmd.args[0] ?? ''), { exitCode: EXIT.badInput, code: 'commander.unknownCommand' });
    for (const o of cmd.options) {
      // A flag (--json) or a variadic option may come twice harmlessly; a value would be replaced.
      if (o.variadic || !(o.required || o.optional) || REPEATABLE.has(o)) continue;
      const values: string[] = [];
      cmd.on(`option:${o.name()}`, (value: string) => {
        values.push(value);
        if (values.length === 2) cmd.error(givenTwiceMessage(o, values), { exitCode: EXIT.badInput, code: 'fanout.optionGivenTwice' });
      });
    }
    const mandatory = cmd.options.filter((o) => o.mandatory);
    if (mandatory.length > 0) {
      for (const o of mandatory) o.makeOptionMandatory(false);
      required.set(cmd, mandatory);
    }
    cmd.commands.forEach(visit);
  };
  visit(program);
  program.hook('preAction', (_program, action) => {
    for (const o of required.get(action) ?? []) {
      if (action.getOptionValue(o.attributeName()) === undefined) {
        action.error(`error: required option '${o.flags}' not specified`, { exitCode: EXIT.badInput, code: 'commander.missingMandatoryOptionValue' });
      }
    }
  });
}
