import { ERROR_CODES } from '../../../shared/errors';

/** Codes that say the file is not where the mirror layout puts it: all of them at once means the wrong root, not missing books. */
const NOT_THERE = new Set(['BOOK_NOT_FOUND', 'HTTP_NOT_FOUND', 'FTP_NOT_FOUND']);

const isForGood = (code: string) => Object.hasOwn(ERROR_CODES, code) && !ERROR_CODES[code as keyof typeof ERROR_CODES].retryable;

/**
 * What a finished run with failed items says to do, from its failures counted by code. A re-run
 * retries only what may pass then: it is not offered for codes that are not retryable (a book the
 * mirror does not have fails again), and when every item failed the same way with none done the
 * source is named as the likely cause. Failures this page did not see (taken up mid-job) count as
 * ones that may pass.
 */
export function failedItemsAdvice(counts: Readonly<Record<string, number>>, itemsFailed: number, itemsDone: number, items: 'books' | 'messages'): string {
  const codes = Object.entries(counts).filter(([, n]) => n > 0);
  const sum = (cs: Array<[string, number]>) => cs.reduce((a, [, n]) => a + n, 0);
  const names = (cs: Array<[string, number]>) => cs.map(([c]) => c).join(', ');
  if (itemsDone === 0 && itemsFailed >= 2 && codes.length === 1 && sum(codes) === itemsFailed) {
    const code = codes[0]![0];
    const hint = items === 'books' && NOT_THERE.has(code)
      ? 'is the mirror URL the root of a Gutenberg mirror (the folder holding 1/, 2/, …)? Check it before running again.'
      : `the source, not the ${items}, is the likely cause: check it before running again.`;
    return `All ${itemsFailed} ${items} failed, every one with ${code}: ${hint}`;
  }
  const forGood = codes.filter(([c]) => isForGood(c));
  const mayPass = codes.filter(([c]) => !isForGood(c));
  const retryCount = itemsFailed - sum(forGood);
  const head = `${itemsFailed.toLocaleString()} ${itemsFailed === 1 ? 'item' : 'items'} failed (listed under Errors)`;
  const done = `the ${items} already done are skipped`;
  if (forGood.length === 0) return `${head}. Start the same job again to retry ${itemsFailed === 1 ? 'it' : 'them'}: ${done}.`;
  if (retryCount <= 0) return `${head}: ${names(forGood)}, which a re-run meets again.`;
  return `${head}. Start the same job again to retry the ${retryCount.toLocaleString()} that may pass then${mayPass.length ? ` (${names(mayPass)})` : ''}: ${done}; ${sum(forGood).toLocaleString()} failed for good (${names(forGood)}).`;
}
