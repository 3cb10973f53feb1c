import type { StationApi } from '../../core/station-api';

/**
 * What Electron's contextBridge does to the preload's StationApi on its way to the page: values
 * are copied, and a rejection's Error keeps only its message (custom properties such as `code`
 * are lost; plain data is copied whole). The IPC contract runs the page's side through this.
 */
export function acrossContextBridge(api: StationApi): StationApi {
  const copy = (value: unknown): unknown => (value instanceof Error ? new Error(value.message) : structuredClone(value));
  return Object.fromEntries(
    Object.entries(api).map(([name, member]) => {
      const fn = member as (...args: unknown[]) => unknown;
      // Event subscriptions return an unsubscribe function, which the bridge proxies as it is.
      if (name.startsWith('on')) return [name, fn];
      return [
        name,
        (...args: unknown[]) =>
          (fn(...args) as Promise<unknown>).then(copy, (reason: unknown) => {
            throw copy(reason);
          }),
      ];
    }),
  ) as unknown as StationApi;
}
