// Errors a program can act on. Every error the client reports (a rejected
// promise, an 'error' event, a rejected event) carries a stable `code` in
// the style of the daemon's wire codes: programs branch on the code, people
// read the message, and the message may improve while the code stays.

export const CLIENT_ERROR_CODES = {
  /** The client was closed: flush() and health() after close() reject with it. */
  CLOSED: 'ERR_CLOSED',
  /** flush() waited its timeout with events still unanswered. */
  FLUSH_TIMEOUT: 'ERR_FLUSH_TIMEOUT',
  /** health() got no answer within its timeout. */
  HEALTH_TIMEOUT: 'ERR_HEALTH_TIMEOUT',
  /** The daemon's socket cannot be reached (absent, refused, no permission). */
  DAEMON_UNREACHABLE: 'ERR_DAEMON_UNREACHABLE',
  /** The daemon closed the conversation with an error frame; `daemonCode` holds its code. */
  DAEMON_ERROR: 'ERR_DAEMON_ERROR',
  /** The daemon sent something this client cannot read. */
  BAD_DAEMON_MESSAGE: 'ERR_BAD_DAEMON_MESSAGE',
  /** An unexpected fault inside the client, reported instead of thrown. */
  INTERNAL: 'ERR_INTERNAL',
} as const;

export type StoreClientErrorCode = (typeof CLIENT_ERROR_CODES)[keyof typeof CLIENT_ERROR_CODES];

export class StoreClientError extends Error {
  readonly code: StoreClientErrorCode;
  /** With ERR_DAEMON_ERROR: the daemon's own code (`ERR_SHUTTING_DOWN`, ...). */
  readonly daemonCode: string | null;

  constructor(
    code: StoreClientErrorCode,
    message: string,
    options: { daemonCode?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreClientError';
    this.code = code;
    this.daemonCode = options.daemonCode ?? null;
  }
}

/** Why an event was not stored. */
export const REJECTION_CODES = {
  /** The daemon refused it (validation or the database); `reason` says why. */
  REJECTED: 'ERR_EVENT_REJECTED',
  /** It could not be encoded (a value MessagePack cannot carry, a string too long for any frame). */
  NOT_ENCODABLE: 'ERR_EVENT_NOT_ENCODABLE',
  /** Encoded, it is larger than the daemon's largest frame. */
  TOO_LARGE: 'ERR_EVENT_TOO_LARGE',
} as const;

export type RejectionCode = (typeof REJECTION_CODES)[keyof typeof REJECTION_CODES];
