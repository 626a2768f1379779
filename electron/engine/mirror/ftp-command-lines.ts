import type { PipelinedCommand } from './ftp-replies';

/**
 * The command lines a batch writes, as pure functions: each line with the command it is, so the
 * batch can match every reply to it (see ftp-replies.ts, `replyFits`).
 */
export interface CommandLine {
  cmd: PipelinedCommand;
  line: string;
}

/** One book's transfer: `EPSV`, `REST n` when resuming at `startAt`, `RETR <path>`. */
export function transferCommands(remotePath: string, startAt: number): CommandLine[] {
  return [
    { cmd: 'EPSV', line: 'EPSV' },
    ...(startAt > 0 ? [{ cmd: 'REST' as const, line: `REST ${startAt}` }] : []),
    { cmd: 'RETR', line: `RETR ${remotePath}` },
  ];
}

/**
 * A batch's transfer of a whole file (a guessed `N-0.txt` sent behind the STATs, or a listed book):
 * `MDTM` first, in the same write, so a part of it records the file's time to the second at no
 * extra round trip (its `.part.meta`, written when the attempt fails, can then let a later attempt
 * resume it), then `EPSV` + `RETR`.
 */
export function timedTransferCommands(remotePath: string): CommandLine[] {
  return [{ cmd: 'MDTM', line: `MDTM ${remotePath}` }, ...transferCommands(remotePath, 0)];
}

/** A folder's listing over the control connection. */
export function statCommand(remoteDir: string): CommandLine {
  return { cmd: 'STAT', line: `STAT ${remoteDir}` };
}

/**
 * The bytes of one write. A CR, LF or NUL inside a line would end it early and make the rest a
 * command of its own (the replies would go out of step): refused.
 */
export function commandWrite(lines: CommandLine[]): string {
  for (const { line } of lines) if (/[\r\n\0]/.test(line)) throw new Error(`A command line contains a control character: ${JSON.stringify(line)}`);
  return lines.map(({ line }) => `${line}\r\n`).join('');
}
