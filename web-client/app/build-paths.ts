// Where the builds read and write, shared by the field app's and the staff dashboard's Vite
// configs: the cargo target folder (CARGO_TARGET_DIR, else ../../target), the wasm package
// from `cargo xtask wasm` (HOSYNC_WASM_PKG), and the app's output (HOSYNC_APP_OUT).
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const here = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.CARGO_TARGET_DIR
  ? resolve(here, '../..', process.env.CARGO_TARGET_DIR)
  : resolve(here, '../../target');
export const wasmPkg = process.env.HOSYNC_WASM_PKG ?? resolve(target, 'web/pkg');
export const appOut = process.env.HOSYNC_APP_OUT ?? resolve(target, 'web/app');
