// One vitest run for the whole repository: each package's unit tests, plus
// the cross-package tests in test/ that start real daemons and clients.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'protocol', include: ['packages/protocol/test/**/*.test.ts'] } },
      { test: { name: 'client', include: ['packages/client/test/**/*.test.ts'] } },
      {
        test: {
          name: 'query',
          include: ['packages/query/test/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'daemon',
          include: ['packages/daemon/test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
