// Public surface of @mcpr-store/protocol: types, validation, framing. No I/O.

export { BATCH_BODY_OVERHEAD_BYTES, encodeBatchFrame } from './batch-frame.js';
export { canonicalJson } from './canonical-json.js';
export { decodeBody, encodeFrame, FrameDecoder, type FrameDecoderOptions } from './codec.js';
export { ERROR_CODES, type ErrorCode, ProtocolError } from './errors.js';
export * from './event-fields.js';
export * from './events.js';
export {
  HEALTH_STATUSES,
  type HealthReport,
  type HealthStatus,
  type RunningProxyInfo,
} from './health.js';
export * from './limits.js';
export { LIST_METHODS, type ListMethod, listMethod } from './list-methods.js';
export * from './messages.js';
export * as MSGPACK from './msgpack-format.js';
export { TWO_32 } from './msgpack-format.js';
export {
  EncodedConstant,
  encodedConstant,
  encodedString,
  MsgpackWriter,
  putConstant,
  putField,
  putUint64,
  putValue,
} from './msgpack-writer.js';
export { defaultSocketPath } from './paths.js';
export {
  eventAsMap,
  POSITIONAL_REQUEST_MAX_ITEMS,
  positionalProblem,
  requestFromPositional,
} from './positional.js';
export { characterCount, truncateCharacters } from './text.js';
export { type ValidationResult, validateEvent } from './validate.js';
