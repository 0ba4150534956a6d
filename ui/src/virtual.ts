/**
 * Long lists that draw only the rows in view (@tanstack/virtual-core): 10,000 tasks are a
 * few dozen rows in the page, whatever the scroll position. A list scrolls in a box of its
 * own (focusable, so the keyboard scrolls it), with spacers above and below the rows drawn
 * so the scroll bar is the whole list's; each row drawn is measured, so rows may wrap.
 * (@tanstack/virtual-core rather than a hand-made window: rows of measured, varying height
 * (the nodes list wraps on a phone), overscan, and scroll anchoring are its job.)
 *
 *   <div class="vscroll" tabindex=0>        ◄── the scroll element the virtualizer watches
 *     <table> <thead sticky> <tbody>
 *       <tr spacer height=first row's offset>
 *       rows in view (+ overscan), each measured
 *       <tr spacer height=the rest>
 */
import type { ComponentChildren, RefObject, VNode } from 'preact';
import { useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect, type VirtualItem } from '@tanstack/virtual-core';
import { html } from './html.js';

export interface RowProps {
  key: string;
  'data-index': number;
  ref: (el: Element | null) => void;
  /** Table rows: the row's place among all of them (the head is row 1). */
  'aria-rowindex'?: number;
  /** List items: their place, and how many there are. */
  'aria-posinset'?: number;
  'aria-setsize'?: number;
}

interface VirtualOptions {
  count: number;
  /** A row's height before it is measured (px). */
  estimate: number;
  /** Space above the first row inside the scroll box (a table's head), px. */
  paddingStart?: number;
}

/** The virtualizer of a scroll box, drawn again when the range in view changes. */
function useVirtualizer(o: VirtualOptions): [RefObject<HTMLDivElement>, Virtualizer<HTMLDivElement, Element>] {
  const box = useRef<HTMLDivElement>(null);
  const [, redraw] = useReducer((n: number, _: void) => n + 1, 0);
  const estimate = useRef(o.estimate);
  estimate.current = o.estimate;
  // The same functions every time: the virtualizer lays out all rows again (O(rows)) when
  // one of them changes. Rows are measured by place, not by key (they are of one height,
  // give or take a wrap), so a list that changes every frame costs only the rows in view.
  const [fixed] = useState(() => ({ getScrollElement: () => box.current, estimateSize: () => estimate.current, onChange: () => redraw() }));
  const options = {
    count: o.count,
    ...fixed,
    paddingStart: o.paddingStart ?? 0,
    overscan: 8,
    // what is drawn before the box is measured: enough rows to fill a screen
    initialRect: { width: 1000, height: 800 },
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    measureElement: measure,
  };
  const [v] = useState(() => new Virtualizer<HTMLDivElement, Element>(options));
  v.setOptions(options);
  useLayoutEffect(() => v._didMount(), [v]);
  useLayoutEffect(() => v._willUpdate());
  return [box, v];
}

const tableRow = (v: Virtualizer<HTMLDivElement, Element>, it: VirtualItem, key: string): RowProps => ({
  key,
  'data-index': it.index,
  ref: v.measureElement,
  'aria-rowindex': it.index + 2,
});

const listItem = (v: Virtualizer<HTMLDivElement, Element>, it: VirtualItem, key: string, count: number): RowProps => ({
  key,
  'data-index': it.index,
  ref: v.measureElement,
  'aria-posinset': it.index + 1,
  'aria-setsize': count,
});

export interface VirtualTableProps<T> {
  rows: readonly T[];
  rowKey: (t: T) => string;
  /** Draw one row: a <tr> that spreads `props` (key, index, measuring ref). */
  row: (t: T, props: RowProps) => VNode;
  /** The <tr> of the head. */
  head: ComponentChildren;
  /** <colgroup> contents: fixed column widths keep columns still while rows come and go. */
  cols?: ComponentChildren;
  /** What an empty list says (one row across the table). */
  empty: string;
  label: string;
  estimate?: number;
  class?: string;
  /** The most the box may take (CSS length). */
  maxHeight?: string;
}

/**
 * The height of a head drawn inside the scroll box, above the rows: where the first row
 * starts. Told by a ResizeObserver: reading offsetHeight at each draw would force a layout
 * in the middle of every frame.
 */
function useHeadHeight<E extends HTMLElement>(initial: number): [RefObject<E>, number] {
  const head = useRef<E>(null);
  const [px, setPx] = useState(initial);
  useLayoutEffect(() => {
    const el = head.current;
    if (!el) return setPx(0);
    const ro = new ResizeObserver(([e]) => setPx(Math.round(e?.borderBoxSize?.[0]?.blockSize ?? el.offsetHeight)));
    ro.observe(el);
    return () => ro.disconnect();
  }, [head.current]);
  return [head, px];
}

/**
 * A row's height as its ResizeObserver entry tells it, or what is known of it: never read
 * from the element at once (virtual-core's default reads offsetHeight, a forced layout per
 * row drawn). The observer reports every row right after it is laid out.
 */
const measure = (el: Element, entry: ResizeObserverEntry | undefined, v: Virtualizer<HTMLDivElement, Element>): number => {
  const box = entry?.borderBoxSize?.[0];
  if (box) return Math.round(box.blockSize);
  const i = Number(el.getAttribute('data-index'));
  return v.itemSizeCache.get(i) ?? v.options.estimateSize(i);
};

export function VirtualTable<T>(p: VirtualTableProps<T>) {
  const [head, headPx] = useHeadHeight<HTMLTableSectionElement>(29);
  const [box, v] = useVirtualizer({ count: p.rows.length, estimate: p.estimate ?? 31, paddingStart: headPx });
  const items = v.getVirtualItems();
  const top = items.length ? items[0]!.start - headPx : 0;
  const bottom = items.length ? v.getTotalSize() - items[items.length - 1]!.end : 0;
  const ncols = Array.isArray(p.cols) ? p.cols.length : 1;
  return html`<div class="vscroll" ref=${box} tabindex="0" role="region" aria-label=${p.label} style=${p.maxHeight ? `max-height:${p.maxHeight}` : undefined}>
    <table class=${`vtable ${p.class ?? ''}`} aria-rowcount=${p.rows.length + 1}>
      ${p.cols ? html`<colgroup>${p.cols}</colgroup>` : null}
      <thead ref=${head}>${p.head}</thead>
      <tbody>
        ${top > 0 ? html`<tr class="spacer" aria-hidden="true" style=${`height:${top}px`}><td colspan=${ncols}></td></tr>` : null}
        ${p.rows.length ? items.map((it) => {
          const r = p.rows[it.index]!;
          return p.row(r, tableRow(v, it, p.rowKey(r)));
        }) : html`<tr><td colspan=${ncols} class="empty">${p.empty}</td></tr>`}
        ${bottom > 0 ? html`<tr class="spacer" aria-hidden="true" style=${`height:${bottom}px`}><td colspan=${ncols}></td></tr>` : null}
      </tbody>
    </table>
  </div>`;
}

export interface VirtualListProps<T> {
  rows: readonly T[];
  rowKey: (t: T) => string;
  /** Draw one row: an element that spreads `props`. */
  row: (t: T, props: RowProps) => VNode;
  /** What an empty list says. */
  empty: string;
  label: string;
  /** Drawn above the rows inside the box, kept in view (sticky): column titles. */
  head?: ComponentChildren;
  estimate?: number;
  class?: string;
  maxHeight?: string;
}

/** The same for rows that are not table rows (a grid of divs), under a head that stays in view. */
export function VirtualList<T>(p: VirtualListProps<T>) {
  const [head, headPx] = useHeadHeight<HTMLDivElement>(p.head ? 24 : 0);
  const [box, v] = useVirtualizer({ count: p.rows.length, estimate: p.estimate ?? 40, paddingStart: headPx });
  const items = v.getVirtualItems();
  const top = items.length ? items[0]!.start - headPx : 0;
  const bottom = items.length ? v.getTotalSize() - items[items.length - 1]!.end : 0;
  return html`<div class=${`vscroll ${p.class ?? ''}`} ref=${box} tabindex="0" role="list" aria-label=${p.label} style=${p.maxHeight ? `max-height:${p.maxHeight}` : undefined}>
    ${p.head ? html`<div class="vhead" ref=${head} aria-hidden="true">${p.head}</div>` : null}
    ${top > 0 ? html`<div class="spacer" aria-hidden="true" style=${`height:${top}px`}></div>` : null}
    ${p.rows.length ? items.map((it) => {
      const r = p.rows[it.index]!;
      return p.row(r, listItem(v, it, p.rowKey(r), p.rows.length));
    }) : html`<p class="empty muted">${p.empty}</p>`}
    ${bottom > 0 ? html`<div class="spacer" aria-hidden="true" style=${`height:${bottom}px`}></div>` : null}
  </div>`;
}
