/**
 * Cheaper cached writes (a new station's first sync writes ~405k rows at scale 10):
 * - the json_extract lookup indexes of 002/003 are dropped: no query uses them since lookups are
 *   map reads in the in-memory cache index (core/store/cache-index.ts), and each cost every
 *   cached write a JSON parse and a B-tree insert (~12 µs a row with the four on asset_cache);
 * - a row that is the server's row (nothing queued on it: nearly every row) is stored once,
 *   `server_same` 1 with `server_row` null, instead of the same JSON text twice.
 */
export const version = 4;
export const sql = `
drop index asset_cache_case_idx;
drop index asset_cache_serial_idx;
drop index asset_cache_barcode_idx;
drop index asset_cache_gig_idx;
drop index gig_cache_code_idx;
drop index entity_cache_barcode_idx;
drop index entity_cache_badge_idx;
drop index entity_cache_gig_idx;
drop index entity_cache_parent_idx;
alter table gig_cache add column server_same integer not null default 0;
alter table asset_cache add column server_same integer not null default 0;
alter table entity_cache add column server_same integer not null default 0;
`;
