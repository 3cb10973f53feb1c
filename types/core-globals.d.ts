// Web-standard globals that every runtime core/ runs in provides (Node 18+, browsers, service
// workers), declared for the core-only typecheck, which has neither DOM nor Node types.
declare interface AbortSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}
declare var AbortSignal: { timeout(ms: number): AbortSignal };
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare function setTimeout(handler: () => void, ms?: number): unknown;
declare var console: { error(...data: unknown[]): void; warn(...data: unknown[]): void };
