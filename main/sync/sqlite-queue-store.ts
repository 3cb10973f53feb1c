import { Queue } from '../../core/store/queue';
import { decodeSetting, settingKey, type SettingName } from '../../core/store/settings';
import { SqliteStorage } from './sqlite-storage';
import { systemClock } from './system-clock';

export interface SqliteQueueStoreOptions {
  /** A file path (":memory:" only in tests that need no durability). */
  path: string;
  newId: () => string;
  /** The store's only source of time (pull and listing times); the system clock by default. */
  clock?: () => number;
}

/**
 * The station's QueueStore: the queue's semantics (core/store/queue.ts) over one SQLite file in
 * WAL mode with synchronous=FULL (./sqlite-storage.ts), so an op is on disk before enqueue
 * returns and survives a crash or power loss.
 */
export class SqliteQueueStore extends Queue {
  constructor(options: SqliteQueueStoreOptions) {
    super(new SqliteStorage(options.path), {
      newId: options.newId,
      clock: options.clock ?? (() => systemClock.now()),
      devicePrefix: 'station-',
    });
  }

  private get sqlite(): SqliteStorage {
    return this.storage as SqliteStorage;
  }

  /** A setting read synchronously, at startup (before anything else uses the store). */
  settingNow<K extends SettingName>(name: K): ReturnType<typeof decodeSetting<K>> {
    return decodeSetting(name, this.sqlite.readStateNow(settingKey(name)));
  }

  /** What the file promises about durability (journal mode, synchronous level). */
  durability(): { journalMode: string; synchronous: number } {
    return this.sqlite.durability();
  }
}
