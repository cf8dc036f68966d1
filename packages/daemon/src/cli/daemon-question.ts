// The functions of the client library the CLI asks the daemon with, in a
// module of their own so that the CLI bundle loads them (and the client code
// they call) without the rest of the library: the question goes out before
// the command's own module has loaded (daemon-query.ts).

export { requestHealth, requestQuery } from '@mcpr-store/client';
