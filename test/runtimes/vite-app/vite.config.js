// What an app needs for garment-wasm under Vite. The build needs nothing. The dev server
// pre-bundles dependencies into node_modules/.vite, away from the package's .wasm files, so the
// package is left out of that; and cross-origin isolation lets threads engage.
export default {
  optimizeDeps: { exclude: ['garment-wasm'] },
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
};
