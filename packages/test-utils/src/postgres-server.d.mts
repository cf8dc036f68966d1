// Types of postgres-server.mjs.

/** The directory of initdb and pg_ctl: PG_BIN, else Debian's newest version; null when none. */
export function postgresBinDir(): string | null;

export interface PostgresServer {
  /** `postgres://USER:PASSWORD@127.0.0.1:PORT/postgres`. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The server's own log so far. */
  log(): string;
  /** Stops the server (fast shutdown), keeping its data: an outage. */
  pause(): void;
  /** Starts it again on the same port after pause(). */
  resume(): void;
  /** Stops it and removes its directory. */
  stop(): void;
}

export interface PostgresStartOptions {
  /** Keep fsync on (benchmarks); tests turn it off for speed. */
  durable?: boolean;
}

export function startPostgres(options?: PostgresStartOptions): Promise<PostgresServer>;
