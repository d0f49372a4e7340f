import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (everything that needs no server but the embedded stores)
 * and `postgres` (`*.pg.test.ts`, against ORCHARD_TEST_POSTGRES_URL; skipped with a
 * printed reason when it is unset). `npm test` runs both.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.pg.test.ts', 'node_modules/**', 'dist/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'postgres',
          include: ['test/**/*.pg.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
          // The files share one database; each uses its own schema, but keep them sequential.
          fileParallelism: false,
        },
      },
    ],
  },
});
