// A TCP port free on loopback, for the listeners tests and benchmarks start
// (metrics, Prometheus, the dashboard, PostgreSQL). Plain JavaScript (typed
// by free-port.d.mts) so that the benchmark scripts share it.

import net from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
