// Sizes in bytes as people write them: `64MiB`, `10GB`, `512 KiB`, or plain
// bytes. Powers of 1024 for KiB..TiB and powers of 1000 for kB..TB, as the
// units say; an unknown unit is an error that lists the known ones.

import { UsageError } from './usage-error.js';

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** `text` in bytes; throws a UsageError naming `flag` when it is not a size. */
export function parseSizeBytes(text: string, flag: string): number {
  const match = /^\+?(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase() || 'b';
  const factor = UNIT_BYTES[unit];
  if (!match || factor === undefined) {
    throw new UsageError(
      `${flag}: "${text}" is not a size; use bytes, or a number and B, kB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. 64MiB, 10GB)`,
    );
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${flag}: "${text}" is too large`);
  return bytes;
}
