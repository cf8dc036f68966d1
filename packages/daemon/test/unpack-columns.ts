// A column batch read back as event objects, for tests: the writer itself
// reads the columns directly (transaction-writer.ts) and never needs the
// objects, so this inverse of packColumns lives with the tests that check
// packing round-trips and that see what a writer was handed.

import { REQUEST_FIELDS, type RequestEvent, type StoreEvent } from '@mcpr-store/protocol';
import { type ColumnBatch, requestValues } from '../src/writer/column-batch.js';

/** Request `r` of the batch as an event object. */
export function requestAt(batch: ColumnBatch, r: number): RequestEvent {
  const values = requestValues(batch, r, []);
  const event: Record<string, unknown> = { kind: 'request' };
  REQUEST_FIELDS.forEach((field, i) => {
    event[field.name] = values[i];
  });
  return event as unknown as RequestEvent;
}

/** Every event of the batch, in order, as objects again. */
export function unpackColumns(batch: ColumnBatch): StoreEvent[] {
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
