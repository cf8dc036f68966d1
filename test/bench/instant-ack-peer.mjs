#!/usr/bin/env node
// A stand-in for the daemon that acks every batch as soon as it has read it,
// storing nothing: what record() costs a proxy's process, measured against
// it, is the client's own work, without the daemon's threads competing for
// the same cores (on a machine of 2 cores they take one of them). It speaks
// the real protocol (hello, welcome, health, batch, ack) through the
// protocol package's framing, and decodes every frame it gets, as the
// daemon would. Prints "listening" once it accepts connections.
//   node instant-ack-peer.mjs SOCKET
import { unlinkSync } from 'node:fs';
import net from 'node:net';
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FrameDecoder,
  MAX_BATCH_EVENTS,
  PROTOCOL_VERSION,
  unpackBody,
} from '../../packages/protocol/dist/index.js';

const [socketPath] = process.argv.slice(2);
try {
  unlinkSync(socketPath);
} catch {}

function answer(message) {
  switch (message?.type) {
    case 'hello':
      return {
        type: 'welcome',
        version: PROTOCOL_VERSION,
        daemon_version: 'instant-ack-peer',
        max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
        max_batch_events: MAX_BATCH_EVENTS,
      };
    case 'health':
      return { type: 'health_result', id: message.id, health: { status: 'ok' } };
    case 'batch':
      return {
        type: 'ack',
        seq: message.seq,
        committed: message.events.length,
        duplicates: 0,
        rejected: [],
      };
    default:
      return null;
  }
}

const server = net.createServer((socket) => {
  const decoder = new FrameDecoder({ decode: unpackBody });
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    const { values, error } = decoder.push(chunk);
    for (const message of values) {
      const reply = answer(message);
      if (reply) socket.write(encodeFrame(reply));
    }
    if (error) socket.destroy();
  });
});
server.listen(socketPath, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
