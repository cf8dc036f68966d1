// The table of requests that `logs`, `slow` and `session ID` print, so the
// three read alike; `session ID` leaves out the columns its header says.

import type { RequestRow } from '@mcpr-store/query';
import {
  type Column,
  colourEnabled,
  formatBytes,
  formatLatency,
  formatLocalTime,
  formatStatus,
  renderTable,
  shortIds,
  timeZoneLabel,
} from './format.js';
import { printableAll } from './printable.js';

/** Widths a followed table (`-f`) starts from, so rows that come later still fit. */
export const FOLLOW_MIN_WIDTHS = {
  TIME: 19,
  PROXY: 12,
  'TOOL/METHOD': 28,
  STATUS: 7,
  LATENCY: 8,
  SESSION: 14,
  IN: 8,
  OUT: 8,
  SIZE: 8,
  ERR: 7,
  ERROR: 5,
} as const;

/**
 * The columns of a request table; `perSession` leaves out proxy and session,
 * `withSize` adds SIZE (request and response bytes together), as `slow` shows.
 */
export function requestColumns(perSession = false, withSize = false): Column[] {
  const wide = !perSession;
  return [
    { header: `TIME (${timeZoneLabel()})` },
    ...(wide ? [{ header: 'PROXY' }] : []),
    { header: 'TOOL/METHOD' },
    { header: 'STATUS' },
    { header: 'LATENCY', align: 'right' as const },
    ...(withSize ? [{ header: 'SIZE', align: 'right' as const }] : []),
    ...(wide ? [{ header: 'SESSION' }] : []),
    { header: 'IN', align: 'right' as const },
    { header: 'OUT', align: 'right' as const },
    { header: 'ERR' },
    { header: 'ERROR' },
  ];
}

/** `widths` and `fixed`: see renderTable; for a table printed in parts. */
export function renderRequests(
  rows: RequestRow[],
  options: { perSession?: boolean; withSize?: boolean; widths?: number[]; fixed?: boolean } = {},
): string {
  const colour = colourEnabled();
  const wide = !options.perSession;
  const shown = printableAll(rows);
  const sessions = shortIds(shown.flatMap((r) => (r.session_id ? [r.session_id] : [])));
  return renderTable(
    requestColumns(options.perSession, options.withSize),
    shown.map((r) => [
      formatLocalTime(r.ts),
      ...(wide ? [r.proxy] : []),
      r.tool ?? r.method,
      formatStatus(r.status, colour),
      formatLatency(r.latency_us),
      ...(options.withSize ? [formatBytes(sizeOf(r))] : []),
      ...(wide ? [r.session_id ? (sessions.get(r.session_id) as string) : '-'] : []),
      formatBytes(r.bytes_in),
      formatBytes(r.bytes_out),
      r.error_code ?? '',
      (r.error_msg ?? '').slice(0, 80),
    ]),
    options.widths,
    options.fixed,
  );
}

/** A request's bytes both ways; null when neither was measured. */
function sizeOf(r: RequestRow): number | null {
  return r.bytes_in === null && r.bytes_out === null
    ? null
    : (r.bytes_in ?? 0) + (r.bytes_out ?? 0);
}
