// Money for limits: USD as integer units of 1e-10 USD (the ledger's precision, Decimal(20,10)),
// held in bigint so budgets and spend add up exactly; never a float.
export const UNITS_PER_USD = 10_000_000_000n;
const SCALE = 10;

/** A non-negative decimal string ("12.5", "0.0000001234") as units; digits past 1e-10 round up. */
export function usdToUnits(decimal: string): bigint {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(decimal.trim());
  if (!match) throw new Error(`not a non-negative decimal: ${decimal}`);
  const whole = match[1] || '0';
  const fraction = match[2] ?? '';
  const kept = fraction.slice(0, SCALE).padEnd(SCALE, '0');
  const roundUp = /[1-9]/.test(fraction.slice(SCALE)) ? 1n : 0n;
  return BigInt(whole) * UNITS_PER_USD + BigInt(kept) + roundUp;
}

/** Units as a decimal string with 10 fraction digits. */
export function unitsToUsd(units: bigint): string {
  const sign = units < 0n ? '-' : '';
  const abs = units < 0n ? -units : units;
  return `${sign}${abs / UNITS_PER_USD}.${(abs % UNITS_PER_USD).toString().padStart(SCALE, '0')}`;
}
