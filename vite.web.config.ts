import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const root = import.meta.dirname;

/** The crew PWA: the renderer built for the web, with a precaching service worker (npm run build:web). */
export default defineConfig({
  root: resolve(root, 'renderer/crew'),
  publicDir: resolve(root, 'renderer/public'),
  base: './',
  plugins: [
    react(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: '.',
      filename: 'sw.ts',
      injectRegister: false,
      manifest: {
        name: 'GigManager Crew',
        short_name: 'GigManager',
        description: 'Gigs, pick lists and scanning for crew — works offline.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#101418',
        theme_color: '#101418',
        // Generated from resources/icon.svg by npm run icons.
        icons: [
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,wasm}'],
        maximumFileSizeToCacheInBytes: 5 * 1024 * 1024,
        rollupFormat: 'es',
      },
    }),
  ],
  build: { outDir: resolve(root, 'out/web'), emptyOutDir: true },
});
