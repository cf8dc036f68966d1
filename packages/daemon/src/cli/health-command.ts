// `mcpr-store health`: asks the daemon over its socket, the same path the
// proxies use, so a green check means proxies can really report. Exit 0 when
// healthy, 1 when the daemon answers but is not, 2 when nothing answers.

import net from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  parseDaemonMessage,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@mcpr-store/protocol';
import { resolveSocketPath } from '../paths.js';
import { booleanFlag, integerFlag, parseFlags, stringFlag } from './flags.js';

export const HEALTH_HELP = `Usage: mcpr-store health [--socket PATH] [--json] [--timeout-ms N]

Asks the daemon for its health. Exit 0: ok; 1: answers but degraded or failing; 2: no answer.
`;

/** Connects, says hello, asks for health; rejects with a message when nothing sensible answers. */
export function requestHealth(
  socketPath: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const decoder = new FrameDecoder();
    const timer = setTimeout(
      () => finish(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (error: Error | null, health?: Record<string, unknown>) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(health as Record<string, unknown>);
    };
    socket.on('connect', () => {
      socket.write(
        encodeFrame({
          type: 'hello',
          versions: [...SUPPORTED_PROTOCOL_VERSIONS],
          client: 'mcpr-store health',
        }),
      );
      socket.write(encodeFrame({ type: 'health', id: 1 }));
    });
    socket.on('data', (chunk: Buffer) => {
      const { values, error } = decoder.push(chunk);
      for (const value of values) {
        try {
          const message = parseDaemonMessage(value);
          if (message.type === 'health_result') return finish(null, message.health);
          if (message.type === 'error')
            return finish(new Error(`${message.code}: ${message.message}`));
        } catch (failure) {
          return finish(failure as Error);
        }
      }
      if (error) finish(error);
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('the daemon closed the connection')));
  });
}

function formatHealth(health: Record<string, unknown>): string {
  const lines = [`status: ${health.status}`];
  for (const reason of (health.reasons as string[] | undefined) ?? []) lines.push(`  - ${reason}`);
  const show = [
    'version',
    'pid',
    'uptime_ms',
    'db_path',
    'db_size_bytes',
    'wal_size_bytes',
    'schema_version',
    'connections',
    'events_waiting',
    'received',
    'committed',
    'rejected',
    'duplicates_ignored',
    'dropped_by_clients',
    'batches_committed',
    'commit_ms_p50',
    'commit_ms_p99',
    'last_commit_at',
    'writer_alive',
  ];
  for (const key of show) {
    let value = health[key];
    if (key === 'last_commit_at' && typeof value === 'number')
      value = new Date(value).toISOString();
    lines.push(`${key.padEnd(20)} ${value ?? '-'}`);
  }
  const lastError = health.last_error as { at: number; message: string } | null | undefined;
  if (lastError)
    lines.push(
      `${'last_error'.padEnd(20)} ${new Date(lastError.at).toISOString()} ${lastError.message}`,
    );
  return `${lines.join('\n')}\n`;
}

export async function runHealth(argv: string[]): Promise<number> {
  const flags = parseFlags('health', argv, {
    socket: { type: 'string' },
    json: { type: 'boolean' },
    'timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (booleanFlag(flags, 'help')) {
    process.stdout.write(HEALTH_HELP);
    return 0;
  }
  const socketPath = resolveSocketPath(stringFlag(flags, 'socket'));
  const timeoutMs = integerFlag(flags, 'timeout-ms', 3000, 1);
  let health: Record<string, unknown>;
  try {
    health = await requestHealth(socketPath, timeoutMs);
  } catch (error) {
    const message = `no daemon answers on ${socketPath}: ${(error as Error).message}`;
    if (booleanFlag(flags, 'json')) {
      process.stdout.write(`${JSON.stringify({ status: 'unreachable', reasons: [message] })}\n`);
    } else process.stderr.write(`mcpr-store health: ${message}\n`);
    return 2;
  }
  process.stdout.write(
    booleanFlag(flags, 'json') ? `${JSON.stringify(health)}\n` : formatHealth(health),
  );
  return health.status === 'ok' ? 0 : 1;
}
