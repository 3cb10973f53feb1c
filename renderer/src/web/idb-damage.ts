import { openDB } from 'idb';
import { RawText, type DamageOp } from '../../../core/sync/queue-store.contract';
import type { IdbQueueStore } from './idb-queue-store';

/**
 * Test support beside the store it damages, like the contract it serves (never imported by the
 * app): corrupts a queued op (or a stored conflict) underneath an IdbQueueStore through a second
 * connection to its database, as a bad migration or another version of the app could:
 * `undefined` removes the field.
 */
export const damageIdbOp: DamageOp = async (store, id, patch, target = 'queue') => {
  const name = { queue: 'pending_sync', conflict: 'conflicts', quarantine: 'quarantine' }[target];
  const db = await openDB((store as IdbQueueStore).databaseName);
  try {
    const record = (await db.get(name, id)) as Record<string, unknown> | undefined;
    if (record === undefined) throw new Error(`no ${target} record ${id} to damage`);
    const damaged: Record<string, unknown> = { ...record };
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) delete damaged[field];
      else damaged[field] = value instanceof RawText ? value.text : value;
    }
    const tx = db.transaction(name, 'readwrite');
    const records = tx.objectStore(name);
    await records.delete(id);
    await records.put(damaged);
    await tx.done;
  } finally {
    db.close();
  }
};
