import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/redis-global-setup.ts'],
    testTimeout: 15_000,
    hookTimeout: 30_000,
  },
});
