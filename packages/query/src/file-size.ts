// Sizes of the database and its WAL, for health and `store stats`: a file
// that does not exist (no WAL yet) is 0 bytes, not an error.

import fs from 'node:fs';

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
