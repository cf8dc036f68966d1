// Public surface of @mcpr-store/protocol: types, validation, framing. No I/O.

export { BATCH_BODY_OVERHEAD_BYTES, encodeBatchFrame } from './batch-frame.js';
export { canonicalJson } from './canonical-json.js';
export { decodeBody, encodeFrame, unpackBody } from './codec.js';
export { type ControlMessage, encodeControlFrame } from './control-frame.js';
export { ERROR_CODES, type ErrorCode, ProtocolError } from './errors.js';
// The facts (fields, statuses, limits, list methods, health, paths, text)
// are fields.ts's, which programs that only read the store import alone.
export * from './fields.js';
export {
  type BodyDecoder,
  decodeFrameBody,
  FrameDecoder,
  type FrameDecoderOptions,
} from './frame-decoder.js';
export * from './messages.js';
export * as MSGPACK from './msgpack-format.js';
export { MAX_MSGPACK_DEPTH, readMsgpack } from './msgpack-reader.js';
export { putField, putValue } from './msgpack-values.js';
export {
  EncodedConstant,
  encodedConstant,
  encodedString,
  MsgpackWriter,
  putConstant,
  putUint64,
} from './msgpack-writer.js';
export {
  eventAsMap,
  POSITIONAL_REQUEST_MAX_ITEMS,
  positionalProblem,
  requestFromPositional,
} from './positional.js';
export { type ValidationResult, validateEvent } from './validate.js';
