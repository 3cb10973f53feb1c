import type { Member } from './domain';

export type PulledChanges = {
  changes: Record<string, ({ id: string } & Record<string, unknown>)[]>;
  tombstones: { table: string; id: string }[];
  cursor: string;
};
type Scope = Record<string, unknown> | null;

// Pulls until the copy is current. The commit-safe cursor stays behind any transaction still
// open on the server (an autoanalyze on a loaded machine, for one), so one pull that ends with
// has_more false may stop short of a commit that has landed; the device pulls again, and so does
// this, until sync_verify says nothing moved since the cursor, within a bound.
export async function isCurrent(who: Member, cursor: string, scope: Scope = null): Promise<boolean> {
  const { data, error } = await who.client.rpc('sync_verify', { cursor, scope });
  if (error !== null) throw new Error(error.message);
  return !(data as { moved: boolean }).moved;
}

export async function pullToCurrent(who: Member, from: string | null, scope: Scope = null): Promise<PulledChanges> {
  const got: PulledChanges = { changes: {}, tombstones: [], cursor: from ?? '' };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { data, error } = await who.client.rpc('pull_changes', { cursor: from, limit: 1000, scope });
    if (error !== null) throw new Error(`${error.code}: ${error.message}`);
    const page = data as PulledChanges & { has_more: boolean };
    for (const [table, rows] of Object.entries(page.changes)) (got.changes[table] ??= []).push(...rows);
    got.tombstones.push(...page.tombstones);
    got.cursor = page.cursor;
    from = page.cursor;
    if (!page.has_more && (await isCurrent(who, from, scope))) return got;
    if (Date.now() > deadline) throw new Error(`the pull from ${from} did not become current within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
