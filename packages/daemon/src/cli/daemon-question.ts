// The functions of the client library a query command needs, in a module of
// its own so that the CLI bundle loads them (and the client code they call)
// only when a daemon's socket is there, and not the rest of the library.

export { requestHealth, requestQuery } from '@mcpr-store/client';
