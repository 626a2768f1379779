import { open, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import type { InputProblem } from '../../shared/input-checks';
import { checkInputFile, checkOutputFolder } from '../engine/inputs/file-checks';
import type { ScrubResult } from '../engine/scrub/scrub-types';
import { writeFileAtomic } from '../engine/output/atomic-file';
import { makeDirs } from '../engine/output/make-dirs';
import { exitOnProblems } from './cli-validation';
import { EXIT } from './exit-codes';

function describeWarnings(file: string, result: ScrubResult): string | null {
  return result.warnings.length > 0 ? `${file}: ${result.warnings.join(', ')} (read as ${result.encoding})` : null;
}

/** One input: its path, and its bytes when it is a pipe or device (read once, here, to see it is not empty). */
interface CleanInput {
  file: string;
  bytes?: Uint8Array;
}

/** The first 4 KB of a file (enough to tell what it is). */
async function readHead(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Why `head` (a file's first bytes) is no text `clean` can read, or null. A UTF-16 file, a zip and
 * binary data were "cleaned" before, with exit 0: decoded as windows-1252 into mojibake twice the
 * size (UTF-16), or written out as garbage, with only a no-start-marker warning.
 */
export function notATextFile(head: Uint8Array): string | null {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
    return 'is UTF-16 text (it starts with a UTF-16 byte order mark); clean reads UTF-8 and Latin-1 texts: convert it first (iconv -f UTF-16 -t UTF-8)';
  }
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'is a zip archive, not a text; unzip it and clean the .txt inside';
  if (head.subarray(0, 4096).includes(0)) return 'is not a text file (it holds NUL bytes); give a Gutenberg .txt file';
  return null;
}

/**
 * Checks every input before anything is cleaned: each file readable and not empty (`/dev/null` is
 * empty input, not an empty success), the output folder usable, and no two inputs, or an input and
 * its cleaned copy, landing on the same path.
 */
async function checkCleanInputs(files: string[], outDir: string | undefined): Promise<{ inputs: CleanInput[]; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  const inputs: CleanInput[] = [];
  if (outDir === undefined && files.length > 1) {
    problems.push({ field: '--out-dir', message: `is missing; ${files.length} files need a folder to be cleaned into (only one file's text can go to stdout)` });
  }
  if (outDir !== undefined) {
    const problem = await checkOutputFolder(outDir);
    if (problem) problems.push({ field: '--out-dir', value: outDir, message: problem });
  }
  const targets = new Map<string, string>();
  for (const file of files) {
    const problem = await checkInputFile(file, { allowStream: true });
    if (problem) {
      problems.push({ field: file, message: problem });
      continue;
    }
    const input: CleanInput = { file };
    if (!(await stat(file)).isFile()) {
      input.bytes = await readInput(file);
      if (input.bytes.length === 0) problems.push({ field: file, message: 'is empty; there is no text to clean' });
    }
    const notText = notATextFile(input.bytes ?? (await readHead(file)));
    if (notText) problems.push({ field: file, message: notText });
    inputs.push(input);
    if (outDir === undefined) continue;
    const target = join(resolve(outDir), basename(file));
    if (target === resolve(file)) {
      problems.push({ field: '--out-dir', value: outDir, message: `holds ${file} itself; its cleaned copy would replace it: choose another folder` });
    } else if (targets.has(target)) {
      problems.push({ field: file, message: `has the same name as ${targets.get(target)}; both would be written to ${target}: clean them into separate folders` });
    }
    targets.set(target, file);
  }
  return { inputs, problems };
}

export function registerCleanCommand(program: Command): void {
  program
    .command('clean')
    .description('strip the Project Gutenberg licence header and footer; print the text, or write each file into --out-dir')
    .argument('<files...>', 'Gutenberg text files (any era, UTF-8 or Latin-1, CRLF or LF)')
    .option('--out-dir <dir>', 'write each cleaned file under its own name in this folder')
    .action(async (files: string[], o: { outDir?: string }) => {
      const { inputs, problems } = await checkCleanInputs(files, o.outDir);
      exitOnProblems(problems);
      if (!o.outDir) {
        const { scrubBook } = await import('../engine/scrub/scrub-book');
        const { file, bytes } = inputs[0]!;
        const result = scrubBook(bytes ?? (await readInput(file)));
        const note = describeWarnings(file, result);
        if (note) process.stderr.write(`warning: ${note}\n`);
        process.stdout.write(result.clean);
        return;
      }
      const outDir = resolve(o.outDir);
      await makeDirs(outDir);
      const { createScrubPool } = await import('../engine/scrub/scrub-pool');
      const pool = createScrubPool({ executor: 'threads', size: Math.min(files.length, Math.max(1, availableParallelism())), maxQueue: 8 });
      let failed = 0;
      try {
        await Promise.all(
          inputs.map(async ({ file, bytes }) => {
            try {
              const result = await pool.scrub(bytes ?? (await readInput(file)));
              await writeFileAtomic(join(outDir, basename(file)), result.clean);
              const note = describeWarnings(file, result);
              if (note) process.stderr.write(`warning: ${note}\n`);
            } catch (err) {
              failed++;
              process.stderr.write(`error: ${file}: ${(err as Error).message}\n`);
            }
          }),
        );
      } finally {
        await pool.close();
      }
      process.stderr.write(`${files.length - failed} file(s) cleaned into ${outDir}\n`);
      if (failed > 0) process.exitCode = EXIT.failures;
    });
}

async function readInput(file: string): Promise<Uint8Array> {
  const buf = await readFile(file);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
}
