import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRequestListener } from '../../src/http/server.js';
import type { Ingestor } from '../../src/ingest/pipeline.js';
import { createPacer, createRequestLoad } from '../../src/process/pace.js';
import type { ChangeStore } from '../../src/store/store.js';

const TOKEN = 'pace-test-token-0123456789abcdef';

const elapsed = async (work: () => Promise<void>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

describe('request load', () => {
  it('counts requests until each one ends, once, and wakes idle listeners at zero', () => {
    const load = createRequestLoad();
    const woken: string[] = [];
    const endA = load.begin();
    const endB = load.begin();
    load.onIdle(() => woken.push('first'));
    const cancel = load.onIdle(() => woken.push('cancelled'));
    cancel();
    expect(load.inFlight()).toBe(2);
    endA();
    endA();
    expect(load.inFlight()).toBe(1);
    expect(woken).toEqual([]);
    endB();
    expect(load.inFlight()).toBe(0);
    expect(woken).toEqual(['first']);
    // Each listener is called once: the next idle moment does not call it again.
    load.begin()();
    expect(woken).toEqual(['first']);
  });
});

describe('pacer', () => {
  it('lets a batch run at once when no request is in flight, whatever the loop does', async () => {
    const load = createRequestLoad();
    const pacer = createPacer({ load, share: 0.25, utilisation: () => 1 });
    pacer.ran(200);
    expect(await elapsed(() => pacer.wait(Date.now()))).toBeLessThan(50);
  });

  it('lets a batch run at once when the loop has time to spare', async () => {
    const load = createRequestLoad();
    load.begin();
    const pacer = createPacer({ load, share: 0.25, utilisation: () => 0.5 });
    pacer.ran(200);
    expect(await elapsed(() => pacer.wait(Date.now()))).toBeLessThan(50);
  });

  it('holds a batch back while requests saturate the loop, in proportion to the last batch', async () => {
    const load = createRequestLoad();
    load.begin();
    // A share of 1/2: the wait is as long as the last batch ran.
    const pacer = createPacer({ load, share: 0.5, utilisation: () => 1 });
    pacer.ran(120);
    expect(await elapsed(() => pacer.wait(Date.now()))).toBeGreaterThanOrEqual(110);
    pacer.ran(0);
    expect(await elapsed(() => pacer.wait(Date.now()))).toBeLessThan(50);
  });

  it('stops holding back once the last request is answered', async () => {
    const load = createRequestLoad();
    const end = load.begin();
    const pacer = createPacer({ load, share: 0.1, utilisation: () => 1 });
    pacer.ran(1000);
    setTimeout(end, 20);
    expect(await elapsed(() => pacer.wait(Date.now()))).toBeLessThan(200);
  });

  it('never holds back a batch that has waited its lag budget, and holds others at most until then', async () => {
    const load = createRequestLoad();
    load.begin();
    const clock = 10_000;
    const pacer = createPacer({
      load,
      share: 0.1,
      lagBudgetMs: 2000,
      utilisation: () => 1,
      now: () => clock,
    });
    pacer.ran(1000);
    expect(await elapsed(() => pacer.wait(clock - 2000))).toBeLessThan(50);
    // 60 ms of budget left: the wait ends then, not after the 250 ms a long batch would give.
    const waited = await elapsed(() => pacer.wait(clock - 1940));
    expect(waited).toBeGreaterThanOrEqual(50);
    expect(waited).toBeLessThan(200);
  });

  it("sees the HTTP listener's requests in flight until each is answered", async () => {
    const load = createRequestLoad();
    let release: (() => void) | null = null;
    const ingestor: Ingestor = {
      async ingest() {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { kind: 'counts', accepted: 1, duplicates: 0, ignored: 0, changeIds: ['c1'] };
      },
      settled: async () => undefined,
    };
    const server = createServer(
      createRequestListener({
        config: { ingest: { token: TOKEN, maxBytes: 1 << 20, snsTopicArns: [] } },
        ingestor,
        store: {} as ChangeStore,
        logger: pino({ level: 'silent' }),
        load,
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const post = (auth: string) =>
        fetch(`http://127.0.0.1:${port}/aws/events`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: '{"eventName":"CreateRoute"}',
        });
      const accepted = post(`Bearer ${TOKEN}`);
      while (release === null) await new Promise((r) => setTimeout(r, 5));
      expect(load.inFlight()).toBe(1);
      // A refused request counts while it is answered too, and ends all the same.
      expect((await post('Bearer wrong')).status).toBe(401);
      expect(load.inFlight()).toBe(1);
      const idle = new Promise<void>((resolve) => load.onIdle(resolve));
      (release as () => void)();
      expect((await accepted).status).toBe(202);
      await idle;
      expect(load.inFlight()).toBe(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
