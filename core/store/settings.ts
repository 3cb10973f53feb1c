/**
 * What a store keeps besides the queue and its caches, each concern in its own typed home
 * instead of one key-value grab-bag:
 *
 * - sync state, the queue's own (device id, next device sequence, pull cursor): only the queue
 *   reads and writes it (Queue.deviceId, Queue.cursor; the sequence never leaves the queue);
 * - settings (backend, station name, scanner configs, push key and prompt): `Settings`, one typed
 *   `Setting` each, read and written by the service that owns the concern;
 * - the sign-in session (supabase-js's auth tokens): `SessionStorage`, the storage supabase-js
 *   asks for, nothing else.
 *
 * On disk they stay where earlier versions put them (SQLite's `sync_state` table, IndexedDB's
 * `sync_state` store, under the same keys), so existing installations keep their settings and
 * sessions; what changed is that no code reads or writes a key by name except here.
 */
import { z } from 'zod';
import { knownRolesSchema } from '../sync/roles';
import { syncScopeSchema } from '../sync/scope';
import { stockTakeStateSchema } from '../audit/state';
import type { StorageTx, TxMode } from './port';

/** One stored setting: null when none is saved (or what is saved no longer reads). */
export interface Setting<T> {
  get(): Promise<T | null>;
  set(value: T): Promise<void>;
  clear(): Promise<void>;
}

/** How a setting is kept as text in sync_state (the format earlier versions wrote). */
interface Codec<T> {
  encode(value: T): string;
  /** Null when the text does not read as this setting. */
  decode(text: string): T | null;
}

const text: Codec<string> = { encode: (value) => value, decode: (value) => value };
const flag: Codec<boolean> = { encode: (value) => (value ? 'yes' : 'no'), decode: (value) => value === 'yes' };
/** A value kept as JSON, read back through its schema (the queue's first-sync progress and copy state use it too). */
export function json<T>(schema: z.ZodType<T>): Codec<T> {
  return {
    encode: (value) => JSON.stringify(value),
    decode: (value) => {
      try {
        const parsed = schema.safeParse(JSON.parse(value));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
  };
}

/** A saved backend: the project URL and its public (anon) key. */
export const savedBackendSchema = z.object({ url: z.url(), anonKey: z.string().min(1) });
export type SavedBackend = z.infer<typeof savedBackendSchema>;

/**
 * The scan session's gig (by its code, as it was scanned) and mode: a reloaded phone or a
 * restarted station carries on where it was.
 */
export const savedScanSessionSchema = z.object({ gigCode: z.string().min(1).nullable(), mode: z.enum(['check_out', 'check_in']) });
export type SavedScanSession = z.infer<typeof savedScanSessionSchema>;

/** Every setting: its key on disk (kept from earlier versions) and how it is written. */
const SETTINGS = {
  backend: { key: 'backend', codec: json(savedBackendSchema) },
  stationName: { key: 'station_name', codec: text },
  /** The scanner configs as JSON text; the scanning service checks them (and logs what it cannot read). */
  scanners: { key: 'scanners', codec: text },
  /** The VAPID key the crew phone's push subscription was made with. */
  pushKey: { key: 'push_vapid_key', codec: text },
  /** Whether the crew member dismissed the prompt to turn notifications on. */
  pushPromptDismissed: { key: 'push_prompt_dismissed', codec: flag },
  /** The scan session's gig and mode (ScanSession reads it back before its first scan). */
  scanSession: { key: 'scan_session', codec: json(savedScanSessionSchema) },
  /** The signed-in person's roles as last read from the server: offline, the last known role applies. */
  memberRoles: { key: 'member_roles', codec: json(knownRolesSchema) },
  /** What this device keeps (absent: the whole organization); core/sync/scope.ts. */
  syncScope: { key: 'sync_scope', codec: json(syncScopeSchema) },
  /** The stock-take this device is in, and its own scans' tally (core/audit/stock-take.ts). */
  stockTake: { key: 'stock_take', codec: json(stockTakeStateSchema) },
  /** The warehouse this station stands in (a location id): what it checks in stays here (core/scan/workflow.ts). */
  stationWarehouse: { key: 'station_warehouse', codec: text },
  /** The contents reference each case's sheet was printed with here (core/labels/sources.ts). */
  printedSheets: { key: 'case_sheets', codec: json(z.record(z.string(), z.string())) },
} as const;

type Definitions = typeof SETTINGS;
export type Settings = { readonly [K in keyof Definitions]: Setting<Definitions[K]['codec'] extends Codec<infer T> ? T : never> };
export type SettingName = keyof Definitions;

/** supabase-js's session storage (its SupportedStorage), kept under `auth:<key>`. */
export interface SessionStorage {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

type Run = <T>(mode: TxMode, work: (tx: StorageTx) => Promise<T>) => Promise<T>;

export function settingsOver(run: Run): Settings {
  const setting = <T>(key: string, codec: Codec<T>): Setting<T> => ({
    get: () => run('readonly', async (tx) => decodeOrNull(await tx.state.get(key), codec)),
    set: (value) => run('readwrite', (tx) => tx.state.put(key, codec.encode(value))),
    clear: () => run('readwrite', (tx) => tx.state.delete(key)),
  });
  return Object.fromEntries(
    Object.entries(SETTINGS).map(([name, { key, codec }]) => [name, setting(key, codec as Codec<unknown>)]),
  ) as Settings;
}

/** A setting read from its stored text (a store that can read synchronously, at startup). */
export function decodeSetting<K extends SettingName>(
  name: K,
  stored: string | null,
): ReturnType<Settings[K]['get']> extends Promise<infer T> ? T : never {
  return decodeOrNull(stored, SETTINGS[name].codec as Codec<unknown>) as never;
}

/** The sync_state key a setting is kept under (for a store's synchronous startup read). */
export function settingKey(name: SettingName): string {
  return SETTINGS[name].key;
}

export function sessionOver(run: Run): SessionStorage {
  return {
    getItem: (key) => run('readonly', (tx) => tx.state.get(`auth:${key}`)),
    setItem: (key, value) => run('readwrite', (tx) => tx.state.put(`auth:${key}`, value)),
    removeItem: (key) => run('readwrite', (tx) => tx.state.delete(`auth:${key}`)),
  };
}

function decodeOrNull<T>(stored: string | null, codec: Codec<T>): T | null {
  return stored === null ? null : codec.decode(stored);
}
