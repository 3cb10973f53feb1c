/**
 * What a queued op does to the cached row before the server has answered, so the station shows
 * the world as it will be: the op's effect as ops.ts defines it, with the version bumped as the
 * server bumps it. The server stays the judge: its answer (or the next pull) replaces this, and
 * still-queued ops are replayed on top of what it says.
 */

import type { QueuedOp, Row } from './model';
import { opDefinition } from './ops';

export function applyOptimistic(op: QueuedOp, row: Row | null): Row | null {
  const definition = opDefinition(op.table, op.action);
  if (definition === null) return row;
  if (definition.creates !== undefined) return { ...definition.creates(op.payload, op.timestamp), id: String(op.payload['id']) };
  if (definition.removes === true) return null;
  const sets = definition.sets(op.payload, op.timestamp, row);
  if (row === null || sets === null) return row;
  const version = typeof row['version'] === 'number' ? row['version'] : 0;
  return { ...row, ...sets, version: version + 1 };
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
