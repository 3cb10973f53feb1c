import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isTrustedRendererUrl, secureWebPreferences } from './security';

describe('window security settings', () => {
  it('isolates and sandboxes the renderer', () => {
    expect(secureWebPreferences('/app/out/preload/index.cjs')).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('builds a strict production CSP: the renderer connects only to itself', () => {
    const csp = contentSecurityPolicy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('loosens only styles and the HMR socket for the dev server', () => {
    const csp = contentSecurityPolicy({ devServerUrl: 'http://localhost:5173/' });
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain('ws://localhost:5173');
    expect(csp).toContain("script-src 'self';");
  });

  it('trusts only the station’s own document as an IPC sender', () => {
    const file = { file: '/app/out/renderer/index.html' };
    expect(isTrustedRendererUrl('file:///app/out/renderer/index.html', file)).toBe(true);
    expect(isTrustedRendererUrl('file:///app/out/renderer/index.html#/scan', file)).toBe(true);
    expect(isTrustedRendererUrl('file:///tmp/evil.html', file)).toBe(false);
    expect(isTrustedRendererUrl('https://example.com/', file)).toBe(false);
    expect(isTrustedRendererUrl('not a url', file)).toBe(false);
    const dev = { devServerUrl: 'http://localhost:5173' };
    expect(isTrustedRendererUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isTrustedRendererUrl('http://localhost:5174/', dev)).toBe(false);
  });
});
