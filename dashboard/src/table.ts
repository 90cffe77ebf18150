// An accessible data table (caption, column headers, scrollable by keyboard) with a CSV export
// of exactly the rows it shows.
import { downloadCsv, toCsv } from './csv.ts';
import { h } from './dom.ts';

export interface Column<Row> {
  label: string;
  /** The cell as shown. */
  text: (row: Row) => string;
  /** The CSV value when it differs from the shown text (e.g. an exact decimal). */
  raw?: (row: Row) => string;
  numeric?: boolean;
  /**
   * A long value shown cut to a width with an ellipsis ('id': a short monospace width, 'name': an
   * email or a model); the cell's text, its title and the CSV keep it whole.
   */
  clip?: 'id' | 'name';
  /** The cell's content when it is more than text (a button); the CSV still takes raw or text. */
  cell?: (row: Row) => Node;
}

function cellOf<Row>(c: Column<Row>, r: Row): HTMLElement {
  if (c.clip === 'id') return h('td', { class: 'clip id' }, h('code', { title: c.text(r) }, c.text(r)));
  if (c.clip === 'name') return h('td', { class: 'clip', title: c.text(r) }, c.text(r));
  return h('td', { class: c.numeric ? 'num' : null }, c.cell ? c.cell(r) : c.text(r));
}

/** compact: many columns, set tighter (the recent calls fit 1280 px). rowClass: a class for a row (e.g. a retry under its call). */
export function dataTable<Row>(opts: { id: string; caption: string; columns: Column<Row>[]; rows: Row[]; empty: string; csvName: string; compact?: boolean; rowClass?: (row: Row) => string | null }): HTMLElement {
  const { id, caption, columns, rows } = opts;
  if (rows.length === 0) return h('p', { class: 'empty', 'data-testid': `${id}-empty` }, opts.empty);
  const table = h(
    'table',
    { id: `${id}-table`, 'data-testid': `${id}-table`, class: opts.compact ? 'compact' : null },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : null }, c.label)))),
    h('tbody', {}, ...rows.map((r) => h('tr', { class: opts.rowClass?.(r) ?? null }, ...columns.map((c) => cellOf(c, r))))),
  );
  const exportCsv = () =>
    downloadCsv(
      opts.csvName,
      toCsv(
        columns.map((c) => c.label),
        rows.map((r) => columns.map((c) => (c.raw ?? c.text)(r))),
      ),
    );
  return h(
    'div',
    { class: 'table-block' },
    h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': caption }, table),
    h('button', { type: 'button', class: 'secondary', 'data-testid': `${id}-csv`, onclick: exportCsv }, `Download CSV (${rows.length} row${rows.length === 1 ? "" : "s"})`),
  );
}
