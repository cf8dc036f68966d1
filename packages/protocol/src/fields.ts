// The protocol's facts without its codec: event kinds and their fields,
// statuses, limits, list methods, the health report's type. A program that
// only reads the store (the CLI's query commands, the query layer) imports
// `@mcpr-store/protocol/fields` and never loads the MessagePack library,
// which costs a short-lived CLI process a good part of its start-up.

export * from './event-fields.js';
export * from './events.js';
export {
  HEALTH_STATUSES,
  type HealthReport,
  type HealthStatus,
  type ReplicationStatus,
  type RunningProxyInfo,
} from './health.js';
export * from './limits.js';
export { LIST_METHODS, type ListMethod, listMethod } from './list-methods.js';
export { TWO_32 } from './msgpack-format.js';
export { defaultSocketPath } from './paths.js';
export { characterCount, truncateCharacters } from './text.js';
