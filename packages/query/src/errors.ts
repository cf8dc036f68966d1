// What a question cannot answer, as a typed error with a stable code: the
// query layer speaks of values, never of flags. The CLI and the web API
// each turn these into their own words (a one-line message and exit 1, a
// 404 or 400 with { error }).

export const QUERY_ERROR_CODES = {
  /** No session has that id or prefix. */
  SESSION_NOT_FOUND: 'ERR_SESSION_NOT_FOUND',
  /** Several sessions start with that prefix. */
  SESSION_AMBIGUOUS: 'ERR_SESSION_AMBIGUOUS',
} as const;

export type QueryErrorCode = (typeof QUERY_ERROR_CODES)[keyof typeof QUERY_ERROR_CODES];

export class QueryError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}
