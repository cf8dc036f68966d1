// Flag parsing for every command, on node:util's parseArgs: strict, so that
// a typo in a flag is an error instead of a silently ignored option.

import { parseArgs } from 'node:util';
import { parseSizeBytes } from './sizes.js';
import { closest } from './suggest.js';
import { UsageError } from './usage-error.js';

export type FlagSpec = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
>;

export interface ParsedFlags {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * `argv` with every negative number that follows a string flag joined to it
 * (`--error-code -32602` becomes `--error-code=-32602`). parseArgs takes a
 * value that starts with a dash for a flag and refuses it, and JSON-RPC
 * error codes are negative.
 */
function negativeValuesJoined(argv: string[], spec: FlagSpec): string[] {
  const longOf = new Map<string, string>();
  for (const [name, option] of Object.entries(spec)) {
    if (option.type !== 'string') continue;
    longOf.set(`--${name}`, name);
    if (option.short) longOf.set(`-${option.short}`, name);
  }
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--') {
      joined.push(...argv.slice(i));
      break;
    }
    const name = longOf.get(arg);
    const next = argv[i + 1];
    if (name !== undefined && next !== undefined && /^-\d/.test(next)) {
      joined.push(`--${name}=${next}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

export function parseFlags(command: string, argv: string[], spec: FlagSpec): ParsedFlags {
  try {
    const { values, positionals } = parseArgs({
      args: negativeValuesJoined(argv, spec),
      options: spec,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedFlags['values'], positionals };
  } catch (error) {
    // node's messages run over several lines; the first says what is wrong.
    const first =
      (error as Error).message.split('\n')[0]?.split('. To specify')[0] ?? 'bad arguments';
    const unknown = /^Unknown option '--([^']+)'/.exec(first)?.[1];
    const meant = unknown === undefined ? null : closest(unknown, Object.keys(spec));
    const hint = meant ? `; did you mean --${meant}?` : '';
    throw new UsageError(
      `${command}: ${first}${hint} (see mcpr-store ${command.split(' ')[0]} --help)`,
    );
  }
}

export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanFlag(flags: ParsedFlags, name: string): boolean {
  return flags.values[name] === true;
}

/** A flag read by `parse` and held within [min, max]; `what` names its kind in the error. */
function boundedFlag(
  flags: ParsedFlags,
  name: string,
  fallback: number,
  bounds: { min: number; max: number; what: string },
  parse: (raw: string) => number,
): number {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return fallback;
  const value = parse(raw);
  if (Number.isNaN(value) || value < bounds.min || value > bounds.max) {
    const range =
      bounds.max === Number.MAX_SAFE_INTEGER
        ? `of ${bounds.min} or more`
        : `from ${bounds.min} to ${bounds.max}`;
    throw new UsageError(`--${name}: expected ${bounds.what} ${range}, got "${raw}"`);
  }
  return value;
}

/** A whole number flag, within [min, max]. */
export function integerFlag(
  flags: ParsedFlags,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return boundedFlag(flags, name, fallback, { min, max, what: 'a whole number' }, (raw) => {
    const value = Number(raw);
    return /^\d+$/.test(raw.trim()) && Number.isSafeInteger(value) ? value : Number.NaN;
  });
}

/** A size in bytes (`64MiB`, `10GB`, plain bytes), within [min, max]. */
export function sizeFlag(
  flags: ParsedFlags,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return boundedFlag(flags, name, fallback, { min, max, what: 'a size in bytes' }, (raw) =>
    parseSizeBytes(raw, `--${name}`),
  );
}
