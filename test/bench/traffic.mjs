// Request events shaped like a busy proxy's: many sessions with UUID ids,
// a handful of tools and methods, one call in twenty an error with its code
// and message, sizes on every call. Benchmarks that price record() use it,
// so that no figure depends on every event being the same.

const SESSIONS = 100;
const TOOLS = [
  'search',
  'fetch',
  'read_file',
  'write_file',
  'list_directory',
  'run_query',
  'get_weather',
  'translate_text',
  'create_issue',
  'send_message',
];
const OTHER_METHODS = ['tools/list', 'resources/read', 'prompts/get', 'resources/list'];

const sessionIds = Array.from(
  { length: SESSIONS },
  (_, i) => `0198c2a4-7d1e-7c3b-9f2a-${i.toString(16).padStart(12, '0')}`,
);

/**
 * The i-th request a proxy would record, as a fresh object. With `fresh`,
 * its session id, method and tool are strings of their own, made from bytes
 * as a proxy gets them from a header or a parsed body, rather than the same
 * string objects every time: nothing the client does may depend on seeing
 * the same object twice. They are made ahead, FRESH_EVENTS events' worth
 * (on the first such call), and taken in turn: making a string from bytes
 * is a native call that costs more than record() itself and varies from
 * one loop to the next, so making them while timing would bury what is
 * measured in the noise of what is subtracted.
 */
export function trafficEvent(i, fresh = false) {
  const event = eventOf(i);
  if (fresh) {
    const strings = freshStrings[i % FRESH_EVENTS] ?? madeFresh(i % FRESH_EVENTS);
    event.session_id = strings.session_id;
    event.method = strings.method;
    if (event.tool !== undefined) event.tool = strings.tool;
  }
  return event;
}

/** A multiple of every period in eventOf, so event i and i % FRESH_EVENTS have the same values. */
const FRESH_EVENTS = 100_000;
const freshStrings = [];

function madeFresh(index) {
  for (let k = freshStrings.length; k < FRESH_EVENTS; k += 1) {
    const event = eventOf(k);
    freshStrings.push({
      session_id: copied(event.session_id),
      method: copied(event.method),
      tool: event.tool === undefined ? undefined : copied(event.tool),
    });
  }
  return freshStrings[index];
}

const scratch = Buffer.alloc(64);
function copied(text) {
  const length = scratch.write(text, 'latin1');
  return scratch.toString('latin1', 0, length);
}

function eventOf(i) {
  const session_id = sessionIds[(i * 7) % SESSIONS];
  // (i mod 250,000) first: the product stays a small integer for any i, so
  // making an event costs the same at the millionth as at the first.
  const latency_us = 200 + (((i % 250_000) * 7919) % 250_000);
  if (i % 5 === 4) {
    return {
      kind: 'request',
      session_id,
      method: OTHER_METHODS[i % OTHER_METHODS.length],
      latency_us,
      status: 'ok',
      bytes_in: 90,
      bytes_out: 1800 + (i % 5000),
    };
  }
  if (i % 20 === 3) {
    return {
      kind: 'request',
      session_id,
      method: 'tools/call',
      tool: TOOLS[i % TOOLS.length],
      latency_us,
      status: 'error',
      error_code: '-32603',
      error_msg: 'upstream returned 502 Bad Gateway',
      bytes_in: 240,
      bytes_out: 120,
    };
  }
  return {
    kind: 'request',
    session_id,
    method: 'tools/call',
    tool: TOOLS[i % TOOLS.length],
    latency_us,
    status: 'ok',
    bytes_in: 240,
    bytes_out: 900 + (i % 9000),
  };
}
