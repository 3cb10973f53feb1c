import { queueStoreContract } from '../../core/sync/queue-store.contract';
import { IdbQueueStore } from '../../renderer/src/web/idb-queue-store';
import { damageIdbOp } from '../../renderer/src/web/idb-damage';
import { runAll } from './vitest-shim';

// The QueueStore contract against Chromium's own IndexedDB (bundled by tests/browser/idb-contract.test.ts and the PWA e2e test).
let n = 0;
queueStoreContract(
  'IndexedDB in Chromium',
  (clock) => IdbQueueStore.open(`contract-${crypto.randomUUID()}-${(n += 1)}`, { newId: () => crypto.randomUUID(), clock }),
  damageIdbOp,
);
(globalThis as { runContract?: typeof runAll }).runContract = runAll;
