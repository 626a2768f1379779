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
 * Why `file` (its first bytes `head`; all of them when `bytes` is given) is no text `clean` can
 * read, or null. A zip and binary data were "cleaned" before, with exit 0, written out as garbage
 * with only a no-start-marker warning. Whether the bytes are a text is the scrubber's own rule
 * (`textProblem`, the download path's too): UTF-16 is read (a BOM, or NULs in every other byte),
 * and refused only when it is not valid UTF-16 (the whole file is decoded to see that).
 */
async function notATextFile(file: string, head: Uint8Array, bytes: Uint8Array | undefined): Promise<string | null> {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'is a zip archive, not a text; unzip it and clean the .txt inside';
  const { sniffText, textProblem } = await import('../engine/scrub/decode-bytes');
  const kind = sniffText(head).kind;
  const problem = kind === 'bytes' ? null : textProblem(kind === 'utf-16' ? (bytes ?? (await readInput(file))) : head);
  return problem && kind === 'binary' ? `${problem}; give a Gutenberg .txt file` : problem;
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
    const notText = await notATextFile(file, input.bytes ?? (await readHead(file)), input.bytes);
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
    .argument('<files...>', 'Gutenberg text files (any era, UTF-8, Latin-1 or UTF-16, CRLF or LF)')
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
      const [{ createScrubPool }] = await Promise.all([
        import('../engine/scrub/scrub-pool'),
        // From the sources, the threads start from one bundled script, not tsx's loader (a no-op built).
        import('../engine/scrub/worker-script').then((w) => w.prepareSiblingScript('scrub-worker')),
      ]);
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
