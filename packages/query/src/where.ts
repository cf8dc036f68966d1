// Builds a WHERE clause from optional filters. Filters are added only when
// given (never `@p IS NULL OR col = @p`), so SQLite sees plain conditions and
// can pick the matching index.

export class Where {
  private readonly clauses: string[] = [];
  readonly params: Record<string, unknown> = {};

  /** Adds `clause` with its named parameters when `value` is defined. */
  when<T>(
    value: T | undefined,
    clause: string,
    params: (value: T) => Record<string, unknown>,
  ): this {
    if (value !== undefined) this.add(clause, params(value));
    return this;
  }

  add(clause: string, params: Record<string, unknown> = {}): this {
    this.clauses.push(clause);
    Object.assign(this.params, params);
    return this;
  }

  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}
