// The thread where the daemon answers query commands asked over its socket:
// one read-only connection of its own to the daemon's database, kept open
// and warm (statements prepared, code compiled, pages cached), so that a
// short-lived `mcpr-store status` is answered without opening the store and
// compiling the query layer in a new process. It answers exactly what the
// command itself would (the same answer definitions as the CLI and the web
// API), and never blocks the socket loop.

import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type Store } from '@mcpr-store/query';
import { answerRoute } from '../ui/api.js';
import type { QueryOutcome, QueryThreadRequest, QueryThreadSettings } from './query-messages.js';

const settings = workerData as QueryThreadSettings;
let store: Store | null = null;

parentPort?.on('message', async (request: QueryThreadRequest) => {
  let outcome: QueryOutcome;
  try {
    store ??= openStore(settings.db_path, { longLived: true });
    const answer = await answerRoute(request.route, request.argv, store, {
      nowMs: request.now_ms,
      dbPath: settings.db_path,
      socketPath: settings.socket_path,
      daemon: request.health,
    });
    outcome = { json: JSON.stringify(answer) };
  } catch (error) {
    outcome = { error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage({ id: request.id, ...outcome });
});
