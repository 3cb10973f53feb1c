/**
 * Per-entity ordering reads the queue by entity: store the entity key ("table:id") on each op
 * and index it, filling it in for ops already queued.
 */
export const version = 2;
export const sql = `
alter table pending_sync add column entity_key text;
update pending_sync set entity_key = "table" || ':' || json_extract(payload, '$.id');
create index pending_sync_entity_idx on pending_sync (entity_key, seq);
create index pending_sync_ready_idx on pending_sync (status, seq);
create index asset_cache_case_idx on asset_cache (json_extract(row, '$.case_id'));
`;
