// How numbers, money and times are shown (en-US, UTC: the ledger's days are UTC days).
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dollars = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const formatInt = (n: number): string => integer.format(n);
export const formatCompact = (n: number): string => compact.format(n);

/** A decimal string of USD: 4 significant places for small sums, 2 above a dollar. */
export function formatUsd(value: string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const n = Number(value);
  if (n === 0) return '$0.00';
  if (Math.abs(n) >= 1) return `$${dollars.format(n)}`;
  return `$${n.toPrecision(3)}`;
}

export const formatMs = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : `${integer.format(n)} ms`);
export const formatPercent = (n: number): string => `${(n * 100).toFixed(1)}%`;

/** 2026-11-25 14:03:09 UTC, compact. */
export const formatTime = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', ' UTC');
/** 2026-11-25 14:03:09, for a column whose header already says UTC. */
export const formatUtcTime = (iso: string): string => formatTime(iso).replace(/ UTC$/, '');
