/** Scanning looks rows up by serial, barcode, code and badge, and gigs up by what is out to them. */
export const version = 3;
export const sql = `
create index asset_cache_serial_idx on asset_cache (upper(json_extract(row, '$.serial_number')));
create index asset_cache_barcode_idx on asset_cache (upper(json_extract(row, '$.barcode')));
create index asset_cache_gig_idx on asset_cache (json_extract(row, '$.current_gig_id'));
create index gig_cache_code_idx on gig_cache (upper(json_extract(row, '$.code')));
create index entity_cache_barcode_idx on entity_cache (entity, upper(json_extract(row, '$.barcode')));
create index entity_cache_badge_idx on entity_cache (entity, upper(json_extract(row, '$.badge_code')));
create index entity_cache_gig_idx on entity_cache (entity, json_extract(row, '$.gig_id'));
create index entity_cache_parent_idx on entity_cache (entity, json_extract(row, '$.parent_case_id'));
`;
