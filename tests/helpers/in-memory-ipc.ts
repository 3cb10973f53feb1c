import type { IpcMainInvokeEvent, IpcRenderer, IpcRendererEvent } from 'electron';
import type { StationIpcMain } from '../../main/ipc';
import type { StationIpcRenderer } from '../../preload/station-bridge';

/** The fields of a sender frame that main/ipc.ts reads. */
export interface FakeSenderFrame {
  url: string;
  parent: object | null;
}

type InvokeListener = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
type RendererListener = (event: IpcRendererEvent, ...args: unknown[]) => void;

export interface InMemoryIpc {
  ipcMain: StationIpcMain;
  ipcRenderer: StationIpcRenderer;
  /** What main/index.ts does with webContents.send: deliver to the renderer's listeners. */
  send(channel: string, ...args: unknown[]): void;
  /** The frame the next invoke claims to come from (null: a frame that has gone away). */
  senderFrame: FakeSenderFrame | null;
  /** Channels with a handler registered right now. */
  handledChannels(): string[];
}

/**
 * An ipcMain/ipcRenderer pair in one Node process, for running the real IPC registration and
 * preload bridge without Electron. Arguments, results and event values go through
 * structuredClone, as Electron's IPC serializes them; an invoke on a channel nobody handles
 * rejects as Electron's does.
 */
export function inMemoryIpc(senderFrame: FakeSenderFrame | null): InMemoryIpc {
  const handlers = new Map<string, InvokeListener>();
  const listeners = new Map<string, Set<RendererListener>>();

  const ipcMain: StationIpcMain = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => {
      handlers.delete(channel);
    },
  };

  const pair: InMemoryIpc = {
    ipcMain,
    senderFrame,
    ipcRenderer: {
      invoke: async (channel, ...args: unknown[]) => {
        const handler = handlers.get(channel);
        if (handler === undefined)
          throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
        // Only what registerStationIpc reads; a real event carries much more.
        const event = { senderFrame: pair.senderFrame } as unknown as IpcMainInvokeEvent;
        const result = await handler(event, ...structuredClone(args));
        return structuredClone(result);
      },
      on(channel, listener) {
        let set = listeners.get(channel);
        if (set === undefined) listeners.set(channel, (set = new Set()));
        set.add(listener);
        return renderer;
      },
      removeListener(channel, listener) {
        listeners.get(channel)?.delete(listener);
        return renderer;
      },
    },
    send: (channel, ...args) => {
      const event = { sender: pair.ipcRenderer } as unknown as IpcRendererEvent;
      for (const listener of listeners.get(channel) ?? []) listener(event, ...structuredClone(args));
    },
    handledChannels: () => [...handlers.keys()],
  };
  // Electron's on/removeListener return the whole IpcRenderer for chaining; the bridge never chains.
  const renderer = pair.ipcRenderer as IpcRenderer;
  return pair;
}
