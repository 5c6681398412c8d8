// Injected into the CommonJS build (scripts/build.mjs): what `import.meta.url` means there.
export const import_meta_url = require('node:url').pathToFileURL(__filename).href;
