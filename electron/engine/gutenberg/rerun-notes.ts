/** Books named in a note before "and N more". */
const NAMED = 10;

/** One kind of book a re-run found: how many, and the first few with what was found. */
class Tally {
  count = 0;
  readonly named: string[] = [];

  add(ebook: number, what?: string): void {
    this.count++;
    if (this.named.length < NAMED) this.named.push(what ? `ebook ${ebook} (${what})` : `ebook ${ebook}`);
  }

  list(): string {
    return this.named.join(', ') + (this.count > this.named.length ? ` and ${this.count - this.named.length} more` : '');
  }
}

/**
 * What a re-run found that the user should hear about, said once at the end of the job (a warning
 * each): books recorded as done whose files were lost or changed (fetched again), books whose files
 * were in raw/ and which no manifest line names (a run killed before their lines, or the manifest deleted, cut or damaged: fetched again, as nothing proves
 * those files whole), and the partial downloads of books already done (removed).
 */
export class RerunNotes {
  readonly #changed = new Tally();
  readonly #unrecorded = new Tally();
  readonly #staleParts = new Tally();

  /** A book recorded as done whose files are not as recorded (`what`: bookChange's text). */
  changed(ebook: number, what: string): void {
    this.#changed.add(ebook, what);
  }

  /** A book with no manifest line whose text was in raw/ (not one a stopped job left to adopt). */
  unrecorded(ebook: number): void {
    this.#unrecorded.add(ebook);
  }

  /** A book already done whose partial download files were removed. */
  staleParts(ebook: number, names: string[]): void {
    this.#staleParts.add(ebook, names.map((n) => `raw/${n}`).join(', '));
  }

  /** The warnings, in the order above; none when there was nothing to say. */
  messages(manifestFile: string): string[] {
    const out: string[] = [];
    if (this.#changed.count > 0) {
      out.push(`${this.#changed.count} book(s) recorded as done had a file missing or changed since, so they were fetched again: ${this.#changed.list()}`);
    }
    if (this.#unrecorded.count > 0) {
      out.push(
        `${this.#unrecorded.count} book(s) had a raw file that no line of ${manifestFile} records as done (a run killed before recording them, or the manifest deleted, cut or damaged), so they were fetched again: ${this.#unrecorded.list()}`,
      );
    }
    if (this.#staleParts.count > 0) out.push(`removed the partial download(s) of ${this.#staleParts.count} book(s) already done: ${this.#staleParts.list()}`);
    return out;
  }
}
