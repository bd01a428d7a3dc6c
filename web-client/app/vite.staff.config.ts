// Builds the staff dashboard into <the app's outDir>/staff, which `hosync serve` serves at
// `/staff/`. A plain page for desktops: no service worker (staff work online, and household
// data should not stay in a shared computer's cache) and no wasm. It runs after the field
// app's build, which empties the whole outDir.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { appOut, here } from './build-paths';

export default defineConfig({
  root: resolve(here, 'staff'),
  base: '/staff/',
  publicDir: false,
  build: {
    outDir: resolve(appOut, 'staff'),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
