import { EventObservers } from './observers';
import { StationError } from './errors';
import {
  stationApiSchema,
  stationEventsVia,
  stationMethodsVia,
  type StationApi,
  type StationEventName,
  type StationEventValues,
  type StationMethod,
} from './station-api';
import { MAX_WIRE_BYTES, wireMessageSchema } from './wire';

const utf8 = new TextEncoder();

/** The host closes the whole socket (1009) for a frame over MAX_WIRE_BYTES: refuse that one call here instead. */
function oversized(method: StationMethod, bytes: number): StationError {
  const size = (n: number): string => n.toLocaleString('en-US');
  return new StationError(
    'invalid_arguments',
    `${method}: the request is ${size(bytes)} bytes; the station takes at most ${size(MAX_WIRE_BYTES)}`,
  );
}

const connectionClosed = (): StationError => new StationError('offline', 'the station connection closed');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The browser's WebSocket constructor, or one that behaves like it (tests pass `ws`). */
export type WebSocketLike = new (url: string) => {
  readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'message', listener: (event: { data?: unknown }) => void): void;
};

/**
 * StationApi over the browser host's WebSocket: the same methods and events the Electron
 * preload exposes. Calls made while (re)connecting wait for the connection.
 */
export function webSocketStation(url: string, Socket: WebSocketLike): StationApi & { close(): void } {
  let socket: InstanceType<WebSocketLike> | null = null;
  let opened: Promise<void> | null = null;
  let nextId = 0;
  let closed = false;
  const pending = new Map<number, { method: StationMethod; resolve: (value: unknown) => void; reject: (error: StationError) => void }>();
  const listeners = new EventObservers<StationEventValues>();

  const connect = (): Promise<void> => {
    opened ??= new Promise<void>((resolve) => {
      const ws = new Socket(url);
      socket = ws;
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('message', (event) => {
        const parsed = wireMessageSchema.safeParse(parseJson(String(event.data)));
        if (!parsed.success) return;
        const message = parsed.data;
        if ('event' in message) {
          listeners.emit(message.event, message.value as StationEventValues[typeof message.event]);
          return;
        }
        const call = pending.get(message.id);
        if (call === undefined) return;
        pending.delete(message.id);
        if (!message.result.ok) {
          call.reject(StationError.from(message.result.error));
          return;
        }
        const value = stationApiSchema[call.method].result.safeParse(message.result.value);
        if (value.success) call.resolve(value.data);
        else call.reject(new StationError('invalid_result', `${call.method}: the station answered in an unexpected shape`));
      });
      ws.addEventListener('close', () => {
        socket = null;
        opened = null;
        for (const call of pending.values()) call.reject(connectionClosed());
        pending.clear();
        if (!closed) setTimeout(() => void connect(), 1000);
      });
    });
    return opened;
  };

  const invoke = async (method: StationMethod, ...args: unknown[]): Promise<unknown> => {
    const id = (nextId += 1);
    const text = JSON.stringify({ id, method, args });
    // Bytes, as the host counts them: a string of 3-byte characters is 3× its length.
    const bytes = utf8.encode(text).byteLength;
    if (bytes > MAX_WIRE_BYTES) throw oversized(method, bytes);
    await connect();
    return new Promise<unknown>((resolve, reject) => {
      // Closed again between opening and now: the call fails rather than waiting for ever.
      if (socket === null) {
        reject(connectionClosed());
        return;
      }
      pending.set(id, { method, resolve, reject });
      socket.send(text);
    });
  };

  const on = <E extends StationEventName>(event: E, listener: (value: StationEventValues[E]) => void): (() => void) => {
    const off = listeners.on(event, listener);
    void connect();
    return off;
  };

  return {
    ...stationMethodsVia(invoke),
    ...stationEventsVia(on),
    close: () => {
      closed = true;
      socket?.close();
    },
  } satisfies StationApi & { close(): void };
}
