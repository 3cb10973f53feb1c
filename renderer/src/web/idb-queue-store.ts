import { Queue } from '../../../core/store/queue';
import { IdbStorage } from './idb-storage';

/**
 * The PWA's QueueStore (page and service worker): the queue's semantics (core/store/queue.ts)
 * over IndexedDB (./idb-storage.ts), with the seed's store names `pending_sync`, `gig_cache`,
 * `asset_cache`.
 */
export class IdbQueueStore extends Queue {
  private constructor(storage: IdbStorage, options: { newId: () => string; clock: () => number }) {
    super(storage, { ...options, devicePrefix: 'pwa-' });
  }

  /** `clock`: the store's only source of time (pull and listing times); the system clock by default. */
  static async open(name: string, options: { newId: () => string; clock?: () => number }): Promise<IdbQueueStore> {
    return new IdbQueueStore(await IdbStorage.open(name), { newId: options.newId, clock: options.clock ?? (() => Date.now()) });
  }

  get databaseName(): string {
    return (this.storage as IdbStorage).name;
  }
}
