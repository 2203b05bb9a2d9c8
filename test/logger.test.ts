import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('writes JSON lines and never the secrets it is handed', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', format: 'json' }, stream);

    logger.info(
      {
        config: { token: 'ingest-secret', slack: { botToken: 'xoxb-secret', signingSecret: 's3cret' } },
        req: { headers: { authorization: 'Bearer ingest-secret' } },
        actor: { accessKeyId: 'AKIASECRET' },
      },
      'hello',
    );

    const line = lines.join('');
    const parsed = JSON.parse(line) as { msg: string; service: string };
    expect(parsed).toMatchObject({ msg: 'hello', service: 'netwarden' });
    for (const secret of ['ingest-secret', 'xoxb-secret', 's3cret', 'AKIASECRET'])
      expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
  });
});
