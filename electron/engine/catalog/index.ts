/** The Gutenberg catalog: streaming reader and book selection. See README.md. */
export type { BadCatalogRow, CatalogEntry, CatalogFormat } from '../../../shared/catalog-entry';
export { readCatalog, type ReadCatalogOptions } from './read-catalog';
export { compileSelection, matchesSelection, selectBooks, type CatalogPredicate } from './select-books';
export { foldText } from './fold-text';
