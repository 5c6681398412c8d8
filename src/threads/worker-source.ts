// The worker script as a string, put here by the build (scripts/build.mjs bundles
// src/threads/worker.ts and defines this constant). Imported lazily: single-threaded users
// never load it.
declare const __GARMENT_WORKER_SOURCE__: string;

export default __GARMENT_WORKER_SOURCE__;
