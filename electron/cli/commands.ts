import type { Command } from 'commander';

/**
 * The `fanout` commands, each loaded only when it is the one being run.
 *
 * Start-up is most of a small job's cost, so only the command being run is loaded: its module
 * defines its options and loads the engine when it acts. `fanout --help` (or a mistyped command)
 * loads none of them and lists each command by the summary below, which a unit test keeps equal
 * to the command's own description.
 */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<(program: Command) => void> }> = {
  gutenberg: {
    summary: 'download and clean Project Gutenberg books from a mirror',
    load: async () => (await import('./gutenberg-command')).registerGutenbergCommand,
  },
  mirrors: {
    summary: "list Project Gutenberg's official mirrors (and probe their round trip and protocols)",
    load: async () => (await import('./mirrors-command')).registerMirrorsCommand,
  },
  clean: {
    summary: 'strip the Project Gutenberg licence header and footer; print the text, or write each file into --out-dir',
    load: async () => (await import('./clean-command')).registerCleanCommand,
  },
  mail: {
    summary: 'archive an IMAP account to one .eml per message (incremental), or list its folders',
    load: async () => (await import('./mail-command')).registerMailCommand,
  },
  serve: {
    summary: 'serve the Fanout UI to a browser on 127.0.0.1 (prints a URL with an access token)',
    load: async () => (await import('./serve-command')).registerServeCommand,
  },
  verify: {
    summary: 'check an archive or corpus against its index (and the server): missing, corrupt and extra files',
    load: async () => (await import('./verify-command')).registerVerifyCommand,
  },
  lab: {
    summary: 'run a concurrency experiment (strategies × worker counts) and write its table, CSV and SVG chart',
    load: async () => (await import('./lab-command')).registerLabCommand,
  },
};

/** The command named on the command line (the first word that is not an option), if it is one of ours. */
export function commandIn(argv: readonly string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  // `fanout help gutenberg` is `fanout gutenberg --help`.
  const word = words[0] === 'help' ? words[1] : words[0];
  return word !== undefined && Object.hasOwn(COMMANDS, word) ? word : undefined;
}
