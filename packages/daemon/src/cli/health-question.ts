// The one function of the client library a query command needs, in a module
// of its own so that the CLI bundle loads it (and the client code it calls)
// only when a daemon's socket is there, and not the rest of the library.

export { requestHealth } from '@mcpr-store/client';
