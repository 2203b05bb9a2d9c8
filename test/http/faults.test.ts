import { describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/app.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const body = (eventID: string) =>
  JSON.stringify({ ...fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json'), eventID });

describe('faults', () => {
  it('answers 503 while Redis is down, stays up, and accepts again once Redis is back', async () => {
    const redis = await startRedisServer();
    const t = await startTestApp({ REDIS_URL: redis.url });
    try {
      expect((await t.post('/aws/events', body('before-outage'))).status).toBe(202);
      await redis.stop();

      const during = await t.post('/aws/events', body('during-outage'));
      const readyDuring = await fetch(`${t.url}/readyz`);
      const healthDuring = await fetch(`${t.url}/healthz`);

      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('5');
      expect(((await during.json()) as { error: string }).error).toContain('redis is unavailable');
      expect(readyDuring.status).toBe(503);
      expect(healthDuring.status).toBe(200);

      const back = await startRedisServer(redis.port);
      try {
        let status = 0;
        for (let i = 0; i < 100 && status !== 202; i++) {
          status = (await t.post('/aws/events', body('during-outage'))).status;
          if (status !== 202) await new Promise((r) => setTimeout(r, 100));
        }
        expect(status).toBe(202);
        expect((await t.app.store.getChange('during-outage'))?.state).toBe('pending');
      } finally {
        await t.close();
        await back.stop();
      }
    } finally {
      await redis.stop();
    }
  });

  it('keeps a stored change and stays up when notifying throws', async () => {
    let calls = 0;
    const t = await startTestApp(
      {},
      {
        notifier: {
          notify: async () => {
            calls += 1;
            throw new TypeError('notifier exploded');
          },
        },
      },
    );
    try {
      const response = await t.post('/aws/events', body('notifier-throws'));
      expect(response.status).toBe(202);
      await waitFor(() => calls > 0);
      const stored = await t.app.store.getChange('notifier-throws');
      expect(stored?.state).toBe('pending');
      expect(stored?.processing?.assessment.severity).toBeDefined();
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
