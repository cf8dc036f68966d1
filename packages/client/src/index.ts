// Public surface of @mcpr-store/client.
export * from '@mcpr-store/protocol';
