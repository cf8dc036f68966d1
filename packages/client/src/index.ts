// Public surface of @mcpr-store/client: the client, the MCP helpers, and the
// protocol's event types for convenience.

export type {
  EventInput,
  RequestInput,
  SchemaVersionInput,
  SessionClosedInput,
  SessionInput,
  StoreEvent,
} from '@mcpr-store/protocol';
export { canonicalJson } from '@mcpr-store/protocol';
export { normalizeClientPlatform } from './client-platform.js';
export * from './mcp-events.js';
export {
  type RejectionRecord,
  StoreClient,
  type StoreClientOptions,
  type StoreClientStats,
} from './store-client.js';
export { uuidv7 } from './uuidv7.js';
