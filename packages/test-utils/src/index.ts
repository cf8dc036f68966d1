// Test helpers the packages' tests share. Private, never published: tests
// import it by name instead of climbing into the repository's root. It is
// TypeScript source, run by vitest as it is; fixture-db.ts writes through
// the daemon's own writer, from its source.

export * from './daemon-process.js';
export * from './events.js';
export * from './fixture-db.js';
export * from './free-port.mjs';
export * from './postgres-server.mjs';
export * from './raw-client.js';
export * from './seed.js';
export * from './store-rows.js';
