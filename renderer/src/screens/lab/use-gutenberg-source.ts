import { idsToRanges } from '../../lib/format';
import { sampleLine } from '../../lib/sample-line';
import type { GutenbergSource } from '../../lib/lab-requests';
import { useAppStore } from '../../stores/app-store';
import { useCatalogStore } from '../../stores/catalog-store';
import { useJobCapsStore } from '../../stores/job-caps-store';

/** What a Gutenberg-based lab samples, read when it starts: the form, the catalog, the selection, the caps. */
export function gutenbergSource(): GutenbergSource {
  return {
    form: useAppStore.getState().form,
    catalogPath: useCatalogStore.getState().info?.path ?? null,
    ids: idsToRanges(useCatalogStore.getState().selected),
    caps: useJobCapsStore.getState(),
  };
}

/** The one line above a Gutenberg-based lab: which books it samples. */
export function useSampleLine(sampleSize: number): string {
  return sampleLine(useCatalogStore((s) => s.selected.size), sampleSize);
}

