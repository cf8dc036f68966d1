// Daemon.start's options checked before anything is touched: a library
// caller that passes NaN, a negative size or an empty path gets a TypeError
// naming the option at once, not a daemon that misbehaves an hour later.
// The CLI checks its flags first and says which flag; this is the last line.

import { postgresUrlProblem, redactPostgresUrl } from '@mcpr-store/query';
import type { DaemonOptions } from './daemon.js';

/** [option, smallest allowed value] for every whole-number option. */
const WHOLE_NUMBER_OPTIONS: readonly [keyof DaemonOptions, number][] = [
  ['socketMode', 0],
  ['transactionMaxEvents', 1],
  ['transactionDelayMs', 0],
  ['maxHeldEvents', 1],
  ['maxHeldBytes', 1],
  ['maxFrameBytes', 1024],
  ['maxBatchEvents', 1],
  ['frameTimeoutMs', 1],
  ['maxDbBytes', 0],
  ['retainMs', 0],
  ['retainBytes', 0],
  ['retentionIntervalMs', 1],
  ['metricsMaxTools', 0],
  ['shutdownTimeoutMs', 0],
];

/** Throws a TypeError naming the first option that is missing or out of range. */
export function checkDaemonOptions(options: DaemonOptions): void {
  for (const name of ['dbPath', 'socketPath'] as const) {
    const value = options[name];
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError(`Daemon option ${name}: expected a non-empty path, got ${String(value)}`);
    }
  }
  for (const [name, min] of WHOLE_NUMBER_OPTIONS) {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new TypeError(
        `Daemon option ${name}: expected a whole number of ${min} or more, got ${String(value)}`,
      );
    }
  }
  if (options.maxDbBytes > 0 && options.retainBytes >= options.maxDbBytes) {
    throw new TypeError(
      `Daemon option retainBytes (${options.retainBytes}) must be below maxDbBytes (${options.maxDbBytes}): ` +
        'the store sheds its oldest rows before it reaches the hard cap',
    );
  }
  if (options.replicateTo !== null) {
    const problem =
      typeof options.replicateTo === 'string'
        ? postgresUrlProblem(options.replicateTo)
        : 'not a string';
    if (problem) {
      throw new TypeError(
        `Daemon option replicateTo (${redactPostgresUrl(String(options.replicateTo))}): ${problem}`,
      );
    }
  }
  if (typeof options.logger?.info !== 'function') {
    throw new TypeError('Daemon option logger: expected a logger (createLogger)');
  }
}
