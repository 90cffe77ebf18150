// The write-ahead's hold, read from a Switchboard server's /metrics: the sum and count of
// switchboard_write_ahead_hold_seconds (streamed or not), so that the difference over a measured
// window gives the mean time a ready reply (or first token) waited for its PENDING row.
export interface HoldSnapshot {
  sumS: number;
  count: number;
}

export async function holdSnapshot(url: string, metricsToken: string, streamed: boolean): Promise<HoldSnapshot> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
  const value = (suffix: string) => Number(text.match(new RegExp(`^switchboard_write_ahead_hold_seconds_${suffix}\\{streamed="${streamed}"\\} (\\S+)$`, 'm'))?.[1] ?? 0);
  return { sumS: value('sum'), count: value('count') };
}
