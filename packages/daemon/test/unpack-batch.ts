// A writer batch read back as event objects, for tests: the writer itself
// reads the columns directly (batch-writer.ts) and never needs the objects,
// so this inverse of packBatch lives with the tests that check packing
// round-trips and that see what a writer was handed.

import type { RequestEvent, RequestStatus, StoreEvent } from '@mcpr-store/protocol';
import {
  numberOf,
  REQUEST_CODES,
  REQUEST_NUMBERS,
  textOf,
  type WriterBatch,
} from '../src/writer/writer-batch.js';

/** Request `r` of the batch as an event object. */
export function requestAt(batch: WriterBatch, r: number): RequestEvent {
  const n = r * REQUEST_NUMBERS;
  const c = r * REQUEST_CODES;
  const { numbers, codes } = batch;
  return {
    kind: 'request',
    request_id: batch.request_ids[r] as string,
    ts: numbers[n] as number,
    proxy: textOf(batch, codes[c] as number) as string,
    session_id: textOf(batch, codes[c + 1] as number),
    method: textOf(batch, codes[c + 2] as number) as string,
    tool: textOf(batch, codes[c + 3] as number),
    latency_us: numbers[n + 1] as number,
    status: textOf(batch, codes[c + 4] as number) as RequestStatus,
    error_code: textOf(batch, codes[c + 5] as number),
    error_msg: textOf(batch, codes[c + 6] as number),
    bytes_in: numberOf(numbers[n + 2] as number),
    bytes_out: numberOf(numbers[n + 3] as number),
  };
}

/** Every event of the batch, in order, as objects again. */
export function unpackBatch(batch: WriterBatch): StoreEvent[] {
  const events: StoreEvent[] = [];
  let r = 0;
  let o = 0;
  for (let position = 0; position < batch.count; position += 1) {
    if (batch.other_positions[o] === position) {
      events.push(batch.others[o] as StoreEvent);
      o += 1;
    } else {
      events.push(requestAt(batch, r));
      r += 1;
    }
  }
  return events;
}
