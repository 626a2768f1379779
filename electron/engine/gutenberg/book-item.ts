import type { CatalogEntry } from '../catalog';

/** A selected book, as it flows through the pool: a small descriptor, never the text. */
export interface BookItem {
  ebook: number;
  title: string;
  author: string;
  language: string;
}

export function toBookItem(entry: CatalogEntry): BookItem {
  return {
    ebook: entry.ebook,
    title: entry.title,
    author: entry.authors.join('; '),
    language: entry.languages.join('; '),
  };
}

/** Lane label: "1342 Pride and Prejudice" (title shortened). */
export function bookLabel(book: BookItem): string {
  const title = book.title.replace(/\s+/g, ' ').trim();
  return `${book.ebook} ${title.length > 48 ? title.slice(0, 47) + '…' : title}`;
}
