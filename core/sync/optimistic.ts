import type { QueuedOp, Row } from './model';

/**
 * What a queued op does to the cached row before the server has answered, so the station shows
 * the world as it will be. The server stays the judge: its answer (or the next pull) replaces
 * this, and still-queued ops are replayed on top of what it says.
 */
export function applyOptimistic(op: QueuedOp, row: Row | null): Row | null {
  const version = typeof row?.['version'] === 'number' ? row['version'] : 0;
  const bumped = (changes: Record<string, unknown>): Row | null => (row === null ? null : { ...row, ...changes, version: version + 1 });
  const fields = (op.payload['fields'] ?? {}) as Record<string, unknown>;
  switch (op.table) {
    case 'assets':
      switch (op.action) {
        case 'check_out':
          return bumped({ status: 'checked_out', current_gig_id: op.payload['gig_id'] });
        case 'check_in': {
          const condition = op.payload['condition'] ?? 'ok';
          const status = condition === 'damaged' ? 'quarantined' : condition === 'missing_parts' ? 'in_maintenance' : 'available';
          return bumped({ status, current_gig_id: null });
        }
        case 'update':
          return bumped(fields);
        default:
          return row;
      }
    case 'gigs':
      switch (op.action) {
        case 'create':
          return { id: String(op.payload['id']), version: 1, status: 'draft', deleted_at: null, ...op.payload };
        case 'update':
          return bumped(fields);
        case 'set_status':
          return bumped({ status: op.payload['to'] });
        case 'move':
          return bumped({ parent_gig_id: op.payload['parent_gig_id'] });
        case 'delete':
          return bumped({ deleted_at: new Date(op.timestamp).toISOString() });
        default:
          return row;
      }
    case 'cases':
      // Case ops move the contents; the server's answer and the next pull bring them in.
      return row;
  }
}

export function rebase(serverRow: Row | null, pending: QueuedOp[]): Row | null {
  return pending.reduce<Row | null>((row, op) => (alreadyIn(op, serverRow) ? row : applyOptimistic(op, row)), serverRow);
}

/**
 * An op in flight that was decided on a version the server's row has moved past is in that row
 * already (a pull read it after the server applied the op, before the push's answer came) or
 * will be refused as a conflict: either way it is not applied on top again. An op without a
 * base version cannot be told apart this way; it is shown on top until the answer comes.
 */
function alreadyIn(op: QueuedOp, serverRow: Row | null): boolean {
  const version = serverRow?.['version'];
  return op.status === 'syncing' && op.baseVersion !== null && typeof version === 'number' && version > op.baseVersion;
}
