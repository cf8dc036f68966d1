// Stable error codes. Codes are the contract (clients branch on them and
// operators grep for them); the text next to a code is for people and may
// improve over time.

export const ERROR_CODES = {
  /** The length prefix announces more than the daemon's maximum frame size. */
  FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  /** The frame body is not one well-formed msgpack value. */
  MALFORMED_FRAME: 'ERR_MALFORMED_FRAME',
  /** The frame decoded, but its `type` is not a message this side knows. */
  UNKNOWN_MESSAGE: 'ERR_UNKNOWN_MESSAGE',
  /** A known message with missing or ill-typed fields. */
  BAD_MESSAGE: 'ERR_BAD_MESSAGE',
  /** Something other than `hello` came first. */
  HELLO_REQUIRED: 'ERR_HELLO_REQUIRED',
  /** No protocol version in common. */
  UNSUPPORTED_VERSION: 'ERR_UNSUPPORTED_VERSION',
  /** A frame was started but not finished in time. */
  FRAME_TIMEOUT: 'ERR_FRAME_TIMEOUT',
  /** A batch holds more events than allowed. */
  BATCH_TOO_LARGE: 'ERR_BATCH_TOO_LARGE',
  /** The daemon is stopping and takes no new connections or batches. */
  SHUTTING_DOWN: 'ERR_SHUTTING_DOWN',
  /** A fault inside the daemon; the connection is closed, the daemon carries on. */
  INTERNAL: 'ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * An error with a stable code, raised by the codec and message parsers.
 * `details` are fields sent with it in the error frame for a program to
 * read (ERR_UNSUPPORTED_VERSION carries `supported_versions`).
 */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.details = details;
  }
}
