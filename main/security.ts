import type { WebPreferences } from 'electron';

/**
 * The window's security settings live here, apart from the Electron calls, so a plain Node test
 * can assert them. The renderer gets nothing but the preload's StationApi.
 */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
    // A station's screens hold the scanners by leases they renew every 2 s (the Stock-take and Plan
    // screens): a minimised or covered window must not have its timers slowed until a lease lapses
    // and scans fall back to checking items in and out.
    backgroundThrottling: false,
  };
}

/**
 * The station renderer talks to nothing but StationApi (the main process owns the network), so
 * it may connect only to itself. The Vite dev server additionally needs inline styles and its
 * HMR socket.
 */
export function contentSecurityPolicy(options: { devServerUrl?: string } = {}): string {
  const connect = ["'self'"];
  const script = ["'self'"];
  const style = ["'self'"];
  if (options.devServerUrl !== undefined) {
    const dev = new URL(options.devServerUrl);
    connect.push(dev.origin, `ws://${dev.host}`);
    style.push("'unsafe-inline'");
  }
  return [
    "default-src 'none'",
    `script-src ${script.join(' ')}`,
    `style-src ${style.join(' ')}`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "media-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Whether an IPC message comes from our own top-level renderer document: the packaged
 * file:// index.html, or the dev server's origin during `npm run dev`.
 */
export function isTrustedRendererUrl(url: string, rendererEntry: { file?: string; devServerUrl?: string }): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (rendererEntry.devServerUrl !== undefined) {
    return parsed.origin === new URL(rendererEntry.devServerUrl).origin;
  }
  if (rendererEntry.file !== undefined) {
    return parsed.protocol === 'file:' && decodeURIComponent(parsed.pathname) === rendererEntry.file;
  }
  return false;
}
