// Builds the page that reads the API's description into <the app's outDir>/api-docs, which
// `hosync serve` serves at `/api-docs/` (`GET /api/v1/docs` leads there). Like the staff
// dashboard it runs after the field app's build, so the field app's service worker never
// lists it: phones do not download it.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { appOut, here } from './build-paths';

export default defineConfig({
  root: resolve(here, 'api-docs'),
  base: '/api-docs/',
  publicDir: false,
  build: {
    outDir: resolve(appOut, 'api-docs'),
    emptyOutDir: true,
    target: 'es2022',
    // Swagger UI is one large module; splitting it would only add requests.
    chunkSizeWarningLimit: 4096,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
