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
} from './format.js';

/** `widths`: see renderTable; for a table printed in parts. */
export function renderRequests(
  rows: RequestRow[],
  options: { perSession?: boolean; widths?: number[] } = {},
): string {
  const colour = colourEnabled();
  const wide = !options.perSession;
  const columns: Column[] = [
    { header: 'TIME' },
    ...(wide ? [{ header: 'PROXY' }] : []),
    { header: 'TOOL/METHOD' },
    { header: 'STATUS' },
    { header: 'LATENCY', align: 'right' as const },
    ...(wide ? [{ header: 'SESSION' }] : []),
    { header: 'IN', align: 'right' as const },
    { header: 'OUT', align: 'right' as const },
    { header: 'ERROR' },
  ];
  return renderTable(
    columns,
    rows.map((r) => [
      formatLocalTime(r.ts),
      ...(wide ? [r.proxy] : []),
      r.tool ?? r.method,
      formatStatus(r.status, colour),
      formatLatency(r.latency_us),
      ...(wide ? [r.session_id ? r.session_id.slice(0, 12) : '-'] : []),
      formatBytes(r.bytes_in),
      formatBytes(r.bytes_out),
      [r.error_code, r.error_msg].filter(Boolean).join(' ').slice(0, 80),
    ]),
    options.widths,
  );
}
