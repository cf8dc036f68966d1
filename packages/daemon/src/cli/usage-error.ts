// Bad input on the command line: the CLI prints the message on one line and
// exits 1. Anything else thrown is a bug or an environment fault.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
