// Public surface of @mcpr-store/daemon.
export const DAEMON_PACKAGE = '@mcpr-store/daemon';
