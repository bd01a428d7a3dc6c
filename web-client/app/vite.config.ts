// Builds the field app into target/web/app, which `hosync serve` serves at `/`.
// The wasm package comes from `cargo xtask wasm` (HOSYNC_WASM_PKG, else target/web/pkg).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { appOut, here, wasmPkg } from './build-paths';

// The app's version, sent with every sync so that the device list shows what each phone runs.
const version: string = JSON.parse(readFileSync(resolve(here, 'package.json'), 'utf8')).version;

export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify(version) },
  resolve: {
    alias: [
      // Only the package path is replaced, so `hosync-web/wasm?url` keeps its `?url`.
      { find: /^hosync-web\/wasm(?=\?|$)/, replacement: resolve(wasmPkg, 'hosync_web_bg.wasm') },
      { find: /^hosync-web$/, replacement: resolve(wasmPkg, 'hosync_web.js') },
    ],
  },
  build: {
    outDir: appOut,
    emptyOutDir: true,
    target: 'es2022',
    // The wasm is fetched by URL, never inlined: the service worker caches it as a file.
    assetsInlineLimit: 0,
  },
  server: { fs: { allow: [here, wasmPkg] }, proxy: { '/api': 'http://127.0.0.1:8080' } },
  plugins: [
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icon.svg'],
      manifest: {
        name: 'hosync: phụ trách hộ',
        short_name: 'hosync',
        description: 'Ghi chép thăm hộ, kiến nghị và báo cáo tháng, cả khi không có mạng.',
        lang: 'vi',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#b71c1c',
        icons: [
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,wasm,svg,png,webmanifest}'],
        // The staff dashboard and the API's reader page are built after this build and are
        // not the phone's; said here too so that a build order changed later keeps them out.
        globIgnores: ['staff/**', 'api-docs/**'],
        // The wasm core is well over workbox's 2 MiB default once unminified builds happen.
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: 'index.html',
        // Staff pages, the API and its reader page are the server's, never the cached app shell.
        navigateFallbackDenylist: [/^\/api\//, /^\/api-docs/, /^\/staff/, /^\/healthz/],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
