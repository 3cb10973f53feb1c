import { queueStoreContract, RawText, type DamageOp } from '../sync/queue-store.contract';
import { MemoryStorage } from './memory-storage';
import { Unreadable } from './port';
import { Queue } from './queue';

const storages = new WeakMap<object, MemoryStorage>();
let ids = 0;
const newId = (): string => `00000000-0000-4000-a000-${String((ids += 1)).padStart(12, '0')}`;

function open(clock: () => number): Promise<Queue> {
  const storage = new MemoryStorage();
  const queue = new Queue(storage, { newId, clock, devicePrefix: 'test-' });
  storages.set(queue, storage);
  return Promise.resolve(queue);
}

/** Rewrites the stored record; a RawText value becomes what an adapter hands back for text it cannot decode. */
const damage: DamageOp = (store, id, patch, target = 'queue') => {
  const storage = storages.get(store);
  if (storage === undefined) throw new Error('not a memory queue');
  const map = { queue: storage.tables.ops, conflict: storage.tables.conflicts, quarantine: storage.tables.quarantine }[target];
  const record = map.get(id);
  if (record === undefined) throw new Error(`no ${target} ${id} to damage`);
  const damaged: Record<string, unknown> = { ...record };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) delete damaged[field];
    else damaged[field] = value instanceof RawText ? new Unreadable(value.text, 'not valid JSON') : value;
  }
  map.delete(id);
  map.set(String(damaged['id']), damaged);
  return Promise.resolve();
};

queueStoreContract('memory', open, damage);
