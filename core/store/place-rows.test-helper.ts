/**
 * Test rows for places, as the server sends them (`locations`): the core tests of stock-takes,
 * labels, places and put-away build their warehouses with this one helper.
 */
import type { Row } from '../sync/model';

/** A place row; `warehouse` is its warehouse's id (a warehouse's is its own, the default when it has no parent). */
export function placeRow(id: string, kind: string, code: string, name: string, parent: string | null, warehouse?: string): Row {
  return {
    id,
    kind,
    parent_location_id: parent,
    warehouse_id: warehouse ?? (parent === null ? id : parent),
    code,
    name,
    version: 1,
    deleted_at: null,
  };
}
