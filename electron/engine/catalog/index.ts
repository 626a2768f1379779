/** The Gutenberg catalog: streaming reader and book selection. See README.md. */
export type { BadCatalogRow, CatalogEntry, CatalogFormat } from '../../../shared/catalog-entry';
export { readCatalog, type ReadCatalogOptions } from './read-catalog';
export { compileSelection, explainSelection, matchesSelection, selectBooks, SELECTION_FILTERS, type CatalogPredicate, type SelectionFilter, type SelectionReport } from './select-books';
export { BadRowTally } from './bad-rows';
export { foldText } from './fold-text';
