import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { permissionsPolicy, serveStatic } from '../main/browser-host/static-files';
import { PROJECT_ROOT } from '../supabase/local/paths';

/**
 * The crew PWA's policy: its own code only, the backend over http(s) — an invite link may name
 * any Supabase project, so connect-src cannot name one — the camera as a media stream, and
 * WebAssembly for the barcode reader where the platform has none.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self' https: wss: http://127.0.0.1:* http://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The crew PWA uses the camera (scanning); notifications are asked for in the app, not by policy. */
export const WEB_PERMISSIONS = permissionsPolicy(['camera']);

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the built PWA (`npm run build:web`, out/web) on loopback — a secure context for service workers. */
export function serveWeb(options: { dir?: string; port?: number } = {}): Promise<WebServer> {
  const dir = options.dir ?? join(PROJECT_ROOT, 'out', 'web');
  const server: Server = createServer((req, res) => {
    // Every navigation gets the app shell (the service worker does the same offline).
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    void serveStatic(dir, /\.[a-z0-9]+$/i.test(path) ? path : '/index.html', res, WEB_CSP, WEB_PERMISSIONS);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

async function main(): Promise<void> {
  const web = await serveWeb({ port: Number(process.env['CREW_PORT'] ?? 5174) });
  const url = process.env['SUPABASE_URL'];
  const anon = process.env['SUPABASE_ANON_KEY'];
  const invite =
    url !== undefined && anon !== undefined ? `${web.url}/#backend=${encodeURIComponent(url)}&anon=${encodeURIComponent(anon)}` : web.url;
  process.stdout.write(`crew PWA at ${invite}\n`);
  if (url === undefined || anon === undefined) {
    process.stdout.write(
      'set SUPABASE_URL and SUPABASE_ANON_KEY to print an invite link that points the app at a backend (or enter it in Settings)\n',
    );
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) void main();
