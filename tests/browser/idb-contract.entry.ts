import { queueStoreContract } from '../../core/sync/queue-store.contract';
import { IdbQueueStore } from '../../renderer/src/pwa/idb-queue-store';
import { damageIdbOp } from '../../renderer/src/pwa/idb-damage';
import { runAll } from './vitest-shim';

// The QueueStore contract against Chromium's own IndexedDB (bundled by the e2e test).
let n = 0;
queueStoreContract(
  'IndexedDB in Chromium',
  () => IdbQueueStore.open(`contract-${Date.now()}-${(n += 1)}`, { newId: () => crypto.randomUUID() }),
  damageIdbOp,
);
(globalThis as { runContract?: typeof runAll }).runContract = runAll;
