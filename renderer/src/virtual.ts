import { useVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import type { RefObject } from 'react';

/**
 * Fixed-height rows over a scroll container: every long list on the station uses this.
 * TanStack Virtual returns functions the React Compiler cannot memoize; this project does not run
 * the compiler, so its lint warning does not apply here (and only here).
 */
export function useVirtualRows(
  count: number,
  scroller: RefObject<HTMLDivElement | null>,
  rowHeight: number,
  overscan = 6,
): Virtualizer<HTMLDivElement, Element> {
  // eslint-disable-next-line react-hooks/incompatible-library
  return useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan });
}
