// Public surface of @mcpr-store/client: the client, the MCP helpers, and the
// protocol's event and health types for convenience.

export type {
  EventInput,
  HealthReport,
  HealthStatus,
  RequestInput,
  SchemaVersionInput,
  SessionClosedInput,
  SessionInput,
  StoreEvent,
} from '@mcpr-store/protocol';
export { canonicalJson, defaultSocketPath } from '@mcpr-store/protocol';
export { normalizeClientPlatform } from './client-platform.js';
export {
  CLIENT_ERROR_CODES,
  REJECTION_CODES,
  type RejectionCode,
  StoreClientError,
  type StoreClientErrorCode,
} from './errors.js';
export * from './mcp-events.js';
export { requestHealth, requestQuery } from './one-question.js';
export type { ProxyDescription } from './options.js';
export {
  type RejectionRecord,
  StoreClient,
  type StoreClientOptions,
  type StoreClientStats,
  type WireEvent,
} from './store-client.js';
export { uuidv7 } from './uuidv7.js';
