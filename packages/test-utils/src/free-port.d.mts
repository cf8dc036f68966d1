// Types of free-port.mjs.

/** A TCP port free on 127.0.0.1 at the time of the call. */
export function freePort(): Promise<number>;
