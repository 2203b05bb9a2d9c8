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
  it('counts requests until each one ends, once, and says how long none has been in flight', () => {
    let clock = 1000;
    const load = createRequestLoad(() => clock);
    const endA = load.begin();
    const endB = load.begin();
    expect(load.inFlight()).toBe(2);
    expect(load.quietMs()).toBe(0);
    endA();
    endA();
    expect(load.inFlight()).toBe(1);
    clock = 1005;
    expect(load.quietMs()).toBe(0);
    endB();
    clock = 1012;
    expect(load.inFlight()).toBe(0);
    expect(load.quietMs()).toBe(7);
    load.begin();
    expect(load.quietMs()).toBe(0);
  });

  it('has been quiet for ever before its first request', () => {
    expect(createRequestLoad().quietMs()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('pacer', () => {
  /** A request load whose quiet time the test sets. */
  const loadOf = (quiet: { ms: number }) => ({ quietMs: () => quiet.ms });

  it('lets a batch run at once when requests have stopped, whatever the loop does', async () => {
    const pacer = createPacer({ load: loadOf({ ms: 50 }), utilisation: () => 1 });
    expect(await elapsed(() => pacer.wait(Date.now()))).toBeLessThan(50);
  });

  it('lets a batch run at once when the loop has time to spare', async () => {
    const pacer = createPacer({ load: loadOf({ ms: 0 }), utilisation: () => 0.3 });
    expect(await elapsed(() => pacer.wait(Date.now()))).toBeLessThan(50);
  });

  it('holds a batch back while requests keep the loop busy, through a pause between two rounds, until they stop', async () => {
    const quiet = { ms: 0 };
    const pacer = createPacer({ load: loadOf(quiet), lagBudgetMs: 5000, utilisation: () => 1 });
    let released = false;
    const waiting = pacer.wait(Date.now()).then(() => {
      released = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    // Between two rounds of a closed loop: nothing in flight, for a moment.
    quiet.ms = 2;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(released).toBe(false);
    quiet.ms = 15;
    const stoppedAt = performance.now();
    await waiting;
    expect(performance.now() - stoppedAt).toBeLessThan(100);
  });

  it('never holds back a batch that has waited its lag budget, and holds others at most until then', async () => {
    const pacer = createPacer({ load: loadOf({ ms: 0 }), lagBudgetMs: 2000, utilisation: () => 1 });
    expect(await elapsed(() => pacer.wait(Date.now() - 2000))).toBeLessThan(50);
    // 60 ms of budget left: the wait ends then, though the requests go on.
    const waited = await elapsed(() => pacer.wait(Date.now() - 1940));
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
      (release as () => void)();
      expect((await accepted).status).toBe(202);
      // Counted until the answer is written: by the time the client has read it, it has ended.
      expect(load.inFlight()).toBe(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
