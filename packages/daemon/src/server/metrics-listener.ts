// The metrics endpoint: GET /metrics in Prometheus's text format, and
// nothing else. Off unless asked for, on loopback unless a host is named;
// it serves only metrics, which carry no secrets and no payloads.

import http from 'node:http';
import type { ListenAddress } from '../listen-address.js';
import type { Logger } from '../log.js';
import type { DaemonMetrics } from './metrics.js';

export function listenForMetrics(
  address: ListenAddress,
  metrics: DaemonMetrics,
  log: Logger,
): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      response
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('only /metrics is served here\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    metrics.render().then(
      ({ bytes, release }) => {
        response.writeHead(200, {
          'content-type': metrics.contentType,
          'content-length': bytes.length,
        });
        if (request.method === 'HEAD') {
          release();
          response.end();
        } else {
          // The buffer is reused: hand it back only once the socket is done with it.
          response.end(bytes, release);
        }
      },
      (error: Error) => {
        log.error('metrics failed', { error: error.message });
        response.writeHead(500).end();
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
