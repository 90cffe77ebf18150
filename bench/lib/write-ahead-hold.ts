// What a Switchboard server's /metrics says about its ledger, read at the edges of a measured
// window: the sum and count of switchboard_write_ahead_hold_seconds (streamed or not), so that
// the difference gives the mean time a ready reply (or first token) waited for its PENDING row,
// and switchboard_ledger_commits_total (durable: waited for the WAL flush; deferred: did not).
export interface HoldSnapshot {
  sumS: number;
  count: number;
  durableCommits: number;
  deferredCommits: number;
}

export async function holdSnapshot(url: string, metricsToken: string, streamed: boolean): Promise<HoldSnapshot> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
  const sample = (name: string, labels: string) => Number(text.match(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm'))?.[1] ?? 0);
  return {
    sumS: sample('switchboard_write_ahead_hold_seconds_sum', `streamed="${streamed}"`),
    count: sample('switchboard_write_ahead_hold_seconds_count', `streamed="${streamed}"`),
    durableCommits: sample('switchboard_ledger_commits_total', 'commit="durable"'),
    deferredCommits: sample('switchboard_ledger_commits_total', 'commit="deferred"'),
  };
}
