import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError, UnauthorizedError } from '../../src/errors.js';
import {
  type CertificateFetcher,
  confirmSubscription,
  createCertificateFetcher,
  createSnsVerifier,
  createSubscriptionConfirmer,
  isAllowedSigningCertUrl,
  isAllowedSubscribeUrl,
  isSnsMessage,
  parseSnsMessage,
  SnsCertificateUnavailableError,
  type SnsMessage,
  type SnsSubscriptionConfirmation,
  stringToSign,
} from '../../src/ingest/sns.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';
import {
  type SnsFields,
  signSnsMessage,
  snsNotificationFields,
  snsSubscriptionConfirmationFields,
  TEST_SIGNING_CERT_URL,
  testCertificateFetcher,
  testSigningCertificatePem,
} from '../helpers/sns.js';

const NOTIFICATION_FIXTURE = 'envelopes/sns-http-notification__awsdocs.json';
const CONFIRMATION_FIXTURE = 'envelopes/sns-http-subscription-confirmation__awsdocs.json';

function signed(fields: SnsFields, version: '1' | '2' = '2', signingCertUrl?: string): SnsMessage {
  return parseSnsMessage(signSnsMessage(fields, signingCertUrl ? { version, signingCertUrl } : { version }));
}

function asConfirmation(message: SnsMessage): SnsSubscriptionConfirmation {
  if (message.Type !== 'SubscriptionConfirmation') throw new Error(`expected a SubscriptionConfirmation`);
  return message;
}

describe('stringToSign', () => {
  it('builds the Notification example from the SNS developer guide byte for byte', () => {
    // prepare: the values of the guide's worked example ("Verifying the signatures of Amazon SNS messages")
    const message = parseSnsMessage({
      Type: 'Notification',
      MessageId: '4d4dc071-ddbf-465d-bba8-08f81c89da64',
      TopicArn: 'arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
      Subject: 'My subject',
      Message: 'My Test Message',
      Timestamp: '2019-01-31T04:37:04.321Z',
      SignatureVersion: '1',
      Signature: 'AAAA',
      SigningCertURL: TEST_SIGNING_CERT_URL,
    });

    // act + assert
    expect(stringToSign(message)).toBe(
      [
        'Message',
        'My Test Message',
        'MessageId',
        '4d4dc071-ddbf-465d-bba8-08f81c89da64',
        'Subject',
        'My subject',
        'Timestamp',
        '2019-01-31T04:37:04.321Z',
        'TopicArn',
        'arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
        'Type',
        'Notification',
        '',
      ].join('\n'),
    );
  });

  it('builds the SubscriptionConfirmation example from the SNS developer guide byte for byte', () => {
    const subscribeUrl =
      'https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=233...';
    const message = parseSnsMessage({
      Type: 'SubscriptionConfirmation',
      MessageId: '3d891288-136d-417f-bc05-901c108273ee',
      Token: '233...',
      TopicArn: 'arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
      Message: 'My Test Message',
      SubscribeURL: subscribeUrl,
      Timestamp: '2019-01-31T19:25:13.719Z',
      SignatureVersion: '1',
      Signature: 'AAAA',
      SigningCertURL: TEST_SIGNING_CERT_URL,
    });

    expect(stringToSign(message)).toBe(
      `Message\nMy Test Message\nMessageId\n3d891288-136d-417f-bc05-901c108273ee\nSubscribeURL\n${subscribeUrl}\n` +
        'Timestamp\n2019-01-31T19:25:13.719Z\nToken\n233...\n' +
        'TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\nType\nSubscriptionConfirmation\n',
    );
  });

  it('leaves Subject out entirely when the notification has none', () => {
    const message = signed(snsNotificationFields({ Subject: undefined }));

    expect(stringToSign(message)).not.toContain('Subject');
    expect(stringToSign(message).startsWith('Message\n')).toBe(true);
  });
});

describe('isSnsMessage', () => {
  it('recognises the SNS bodies from the AWS docs', () => {
    expect(isSnsMessage(fixtureJson(NOTIFICATION_FIXTURE))).toBe(true);
    expect(isSnsMessage(fixtureJson(CONFIRMATION_FIXTURE))).toBe(true);
  });

  it('does not mistake other envelopes, arrays or scalars for SNS', () => {
    expect(isSnsMessage(fixtureJson('envelopes/eventbridge-aws-ec2__cloud-custodian.json'))).toBe(false);
    expect(isSnsMessage(fixtureJson('envelopes/cloudtrail-log-file__invictus.json'))).toBe(false);
    expect(isSnsMessage([fixtureJson(NOTIFICATION_FIXTURE)])).toBe(false);
    expect(isSnsMessage(null)).toBe(false);
    expect(isSnsMessage('Notification')).toBe(false);
  });
});

describe('parseSnsMessage', () => {
  it('parses the AWS docs Notification with its optional Subject', () => {
    const message = parseSnsMessage(fixtureJson(NOTIFICATION_FIXTURE));

    expect(message.Type).toBe('Notification');
    expect(message.TopicArn).toBe('arn:aws:sns:us-west-2:123456789012:MyTopic');
    expect(message.Type === 'Notification' && message.Subject).toBe('My First Message');
  });

  it('parses the AWS docs SubscriptionConfirmation with its Token and SubscribeURL', () => {
    const message = asConfirmation(parseSnsMessage(fixtureJson(CONFIRMATION_FIXTURE)));

    expect(message.Token).toBe('2336412f37...');
    expect(message.SubscribeURL).toMatch(
      /^https:\/\/sns\.us-west-2\.amazonaws\.com\/\?Action=ConfirmSubscription/,
    );
  });

  it('names the missing field, under the given base path', () => {
    const { TopicArn: _dropped, ...body } = fixtureRecord(NOTIFICATION_FIXTURE);

    expect(() => parseSnsMessage(body, 'body')).toThrow(InputError);
    expect(() => parseSnsMessage(body, 'body')).toThrow(/^body\.TopicArn: /);
  });

  it('names Type when it is not one SNS sends', () => {
    const body = { ...fixtureRecord(NOTIFICATION_FIXTURE), Type: 'Telegram' };

    expect(() => parseSnsMessage(body)).toThrow(/^Type: /);
  });

  it('names SubscribeURL when a confirmation lacks it', () => {
    const { SubscribeURL: _dropped, ...body } = fixtureRecord(CONFIRMATION_FIXTURE);

    expect(() => parseSnsMessage(body)).toThrow(/^SubscribeURL: /);
  });

  it('names a TopicArn that is not an SNS topic ARN', () => {
    const body = { ...fixtureRecord(NOTIFICATION_FIXTURE), TopicArn: 'arn:aws:sqs:us-west-2:123456789012:q' };

    expect(() => parseSnsMessage(body)).toThrow(/^TopicArn: expected an SNS topic ARN/);
  });
});

describe('createSnsVerifier', () => {
  it.each(['1', '2'] as const)('verifies a notification signed with SignatureVersion %s', async (version) => {
    // prepare
    const certificates = testCertificateFetcher();
    const verifier = createSnsVerifier({ fetchCertificate: certificates.fetch });
    const message = signed(snsNotificationFields(), version);

    // act + assert
    await expect(verifier.verify(message)).resolves.toBeUndefined();
    expect(certificates.calls.map((url) => url.href)).toEqual([TEST_SIGNING_CERT_URL]);
  });

  it('verifies a notification published without a Subject', async () => {
    const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
    const message = signed(snsNotificationFields({ Subject: undefined }));

    await expect(verifier.verify(message)).resolves.toBeUndefined();
  });

  it('verifies a Message with newlines, quotes and non-ASCII text as sent', async () => {
    const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
    const message = signed(snsNotificationFields({ Message: '{"note":"ligne 1\\nligne 2 — über"}\nend' }));

    await expect(verifier.verify(message)).resolves.toBeUndefined();
  });

  it.each(['1', '2'] as const)(
    'verifies a SubscriptionConfirmation signed with version %s',
    async (version) => {
      const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
      const message = signed(snsSubscriptionConfirmationFields(), version);

      await expect(verifier.verify(message)).resolves.toBeUndefined();
    },
  );

  it('verifies an UnsubscribeConfirmation', async () => {
    const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
    const message = signed(snsSubscriptionConfirmationFields({ Type: 'UnsubscribeConfirmation' }));

    await expect(verifier.verify(message)).resolves.toBeUndefined();
  });

  it('verifies with a certificate on the China partition host', async () => {
    const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
    const message = signed(
      snsNotificationFields({ TopicArn: 'arn:aws-cn:sns:cn-north-1:123456789012:netwarden-events' }),
      '2',
      'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-netwarden-test.pem',
    );

    await expect(verifier.verify(message)).resolves.toBeUndefined();
  });

  it.each([
    ['Message', { Message: '{"detail-type":"something else"}' }],
    ['TopicArn', { TopicArn: 'arn:aws:sns:us-east-1:123456789012:another-topic' }],
    ['Subject', { Subject: 'Changed subject' }],
    ['Subject (added after signing)', { Subject: 'Added' }],
    ['Timestamp', { Timestamp: '2025-11-20T10:15:31.123Z' }],
    ['MessageId', { MessageId: '11111111-2222-3333-4444-555555555555' }],
  ])('refuses a notification whose %s changed after signing', async (label, change) => {
    // prepare
    const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
    const original = label.startsWith('Subject (added')
      ? snsNotificationFields({ Subject: undefined })
      : snsNotificationFields();
    const tampered = parseSnsMessage({ ...signSnsMessage(original), ...change });

    // act + assert
    await expect(verifier.verify(tampered)).rejects.toThrow(
      new UnauthorizedError('SNS signature did not verify'),
    );
  });

  it('refuses a confirmation whose SubscribeURL changed after signing', async () => {
    const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
    const body = signSnsMessage(snsSubscriptionConfirmationFields());
    const tampered = parseSnsMessage({ ...body, SubscribeURL: `${body.SubscribeURL}&extra=1` });

    await expect(verifier.verify(tampered)).rejects.toThrow('SNS signature did not verify');
  });

  it('refuses a message signed by a key other than the certificate’s', async () => {
    const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const message = parseSnsMessage(signSnsMessage(snsNotificationFields(), { key: privateKey }));

    await expect(verifier.verify(message)).rejects.toThrow('SNS signature did not verify');
  });

  it('refuses a version 1 signature presented as version 2', async () => {
    const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });
    const body = signSnsMessage(snsNotificationFields(), { version: '1' });

    await expect(verifier.verify(parseSnsMessage({ ...body, SignatureVersion: '2' }))).rejects.toThrow(
      'SNS signature did not verify',
    );
  });

  it.each([NOTIFICATION_FIXTURE, CONFIRMATION_FIXTURE])(
    'refuses the AWS docs example %s, whose signature is truncated',
    async (fixture) => {
      const verifier = createSnsVerifier({ fetchCertificate: testCertificateFetcher().fetch });

      await expect(verifier.verify(parseSnsMessage(fixtureJson(fixture)))).rejects.toThrow(UnauthorizedError);
    },
  );

  it.each([
    'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
    'https://sns.us-east-1.amazonaws.com.evil.com/x.pem',
    'https://evil.com/sns.us-east-1.amazonaws.com/x.pem',
    'https://sns.us-east-1.amazonaws.com@evil.com/x.pem',
    'https://user@sns.us-east-1.amazonaws.com/x.pem',
    'https://sns.us-east-1.amazonaws.com:8443/x.pem',
    'https://sns.us-east-1.amazonaws.com/x.txt',
    'https://sns.s3-external-1.amazonaws.com/x.pem',
    'https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/x.pem',
    'https://sqs.us-east-1.amazonaws.com/x.pem',
    'not a url',
  ])('refuses SigningCertURL %s without fetching it', async (signingCertUrl) => {
    // prepare
    const certificates = testCertificateFetcher();
    const verifier = createSnsVerifier({ fetchCertificate: certificates.fetch });
    const message = signed(snsNotificationFields(), '2', signingCertUrl);

    // act + assert
    await expect(verifier.verify(message)).rejects.toThrow(/^SigningCertURL .* is not an SNS host/);
    await expect(verifier.verify(message)).rejects.toThrow(UnauthorizedError);
    expect(certificates.calls).toEqual([]);
  });

  it('fetches the certificate once for two messages, and once for a concurrent burst', async () => {
    const certificates = testCertificateFetcher();
    const verifier = createSnsVerifier({ fetchCertificate: certificates.fetch });

    await verifier.verify(signed(snsNotificationFields({ MessageId: 'a' })));
    await verifier.verify(signed(snsNotificationFields({ MessageId: 'b' }), '1'));
    await Promise.all(
      ['c', 'd', 'e'].map((id) =>
        verifier.verify(
          signed(
            snsNotificationFields({ MessageId: id }),
            '2',
            'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-other.pem',
          ),
        ),
      ),
    );

    expect(certificates.calls.map((url) => url.hostname)).toEqual([
      'sns.us-east-1.amazonaws.com',
      'sns.eu-west-1.amazonaws.com',
    ]);
  });

  it('fetches the certificate again once the cached copy is a day old', async () => {
    const certificates = testCertificateFetcher();
    let clock = Date.now();
    const verifier = createSnsVerifier({ fetchCertificate: certificates.fetch, now: () => clock });

    await verifier.verify(signed(snsNotificationFields()));
    clock += 25 * 60 * 60 * 1000;
    await verifier.verify(signed(snsNotificationFields()));

    expect(certificates.calls).toHaveLength(2);
  });

  it('refuses an unknown SignatureVersion before fetching anything', async () => {
    const certificates = testCertificateFetcher();
    const verifier = createSnsVerifier({ fetchCertificate: certificates.fetch });
    const message = parseSnsMessage({ ...signSnsMessage(snsNotificationFields()), SignatureVersion: '3' });

    await expect(verifier.verify(message)).rejects.toThrow(
      new UnauthorizedError('SNS SignatureVersion "3" is not supported (expected "1" or "2")'),
    );
    expect(certificates.calls).toEqual([]);
  });

  it('refuses a Signature that is not base64 before fetching anything', async () => {
    const certificates = testCertificateFetcher();
    const verifier = createSnsVerifier({ fetchCertificate: certificates.fetch });
    const message = parseSnsMessage({
      ...signSnsMessage(snsNotificationFields()),
      Signature: 'EXAMPLEw6JRN...',
    });

    await expect(verifier.verify(message)).rejects.toThrow('SNS Signature is not base64');
    expect(certificates.calls).toEqual([]);
  });

  it('reports a failed certificate download as an outage naming the URL, and tries again next time', async () => {
    // prepare: the first download fails, the second works
    const calls: URL[] = [];
    const flaky: CertificateFetcher = async (url) => {
      calls.push(url);
      if (calls.length === 1) throw new Error('connect ECONNREFUSED');
      return testSigningCertificatePem;
    };
    const verifier = createSnsVerifier({ fetchCertificate: flaky });
    const message = signed(snsNotificationFields());

    // act
    const failure = await verifier.verify(message).then(
      () => undefined,
      (error: unknown) => error,
    );

    // assert
    expect(failure).toBeInstanceOf(SnsCertificateUnavailableError);
    expect(failure).toMatchObject({
      code: 'upstream_unavailable',
      message: `could not fetch the SNS signing certificate ${TEST_SIGNING_CERT_URL}: connect ECONNREFUSED`,
    });
    await expect(verifier.verify(message)).resolves.toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  it('reports an answer that is not a certificate as an outage', async () => {
    const verifier = createSnsVerifier({ fetchCertificate: async () => '<html>Service Unavailable</html>' });

    await expect(verifier.verify(signed(snsNotificationFields()))).rejects.toThrow(
      /could not fetch the SNS signing certificate .*: the answer is not a PEM certificate/,
    );
  });

  it('refuses a message once the signing certificate has expired', async () => {
    const validTo = Date.parse(new X509Certificate(testSigningCertificatePem).validTo);
    const verifier = createSnsVerifier({
      fetchCertificate: testCertificateFetcher().fetch,
      now: () => validTo + 1000,
    });

    await expect(verifier.verify(signed(snsNotificationFields()))).rejects.toThrow(
      'SNS signing certificate is expired or not yet valid',
    );
  });
});

describe('isAllowedSubscribeUrl and isAllowedSigningCertUrl', () => {
  it('accept https URLs on SNS regional hosts, the China partition and GovCloud included', () => {
    const confirmation = asConfirmation(parseSnsMessage(fixtureJson(CONFIRMATION_FIXTURE)));

    expect(isAllowedSubscribeUrl(confirmation.SubscribeURL)).toBe(true);
    expect(
      isAllowedSubscribeUrl('https://sns.cn-northwest-1.amazonaws.com.cn/?Action=ConfirmSubscription'),
    ).toBe(true);
    expect(isAllowedSubscribeUrl('https://SNS.US-GOV-WEST-1.AMAZONAWS.COM/?Action=ConfirmSubscription')).toBe(
      true,
    );
    expect(isAllowedSigningCertUrl(confirmation.SigningCertURL)).toBe(true);
  });

  it.each([
    'http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription',
    'https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription',
    'https://evil.com/sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription',
    'https://sns.us-east-1.amazonaws.com@evil.com/',
    'https://sns.us-east-1.amazonaws.com:444/?Action=ConfirmSubscription',
    'https://sns.s3-external-1.amazonaws.com/?Action=ConfirmSubscription',
    'https://sns.amazonaws.com/?Action=ConfirmSubscription',
    'https://169.254.169.254/latest/meta-data/',
    'sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription',
    '',
  ])('refuse %s', (url) => {
    expect(isAllowedSubscribeUrl(url)).toBe(false);
    expect(isAllowedSigningCertUrl(url)).toBe(false);
  });
});

describe('confirmSubscription', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('GETs the SubscribeURL of a confirmation', async () => {
    // prepare: answer like SNS does, without the network
    const fetchSpy = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValue(new Response('<ConfirmSubscriptionResponse/>', { status: 200 }));
    const message = asConfirmation(signed(snsSubscriptionConfirmationFields()));

    // act
    await confirmSubscription(new URL(message.SubscribeURL));

    // assert
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    const [target, init] = fetchSpy.mock.calls[0] ?? [];
    expect(String(target)).toBe(new URL(message.SubscribeURL).href);
    expect(init).toMatchObject({ method: 'GET', redirect: 'error' });
  });

  it.each([
    'https://sns.us-west-2.amazonaws.com.evil.com/?Action=ConfirmSubscription',
    'http://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription',
    'http://169.254.169.254/latest/meta-data/',
  ])('refuses %s without sending anything', async (url) => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');

    await expect(confirmSubscription(new URL(url))).rejects.toThrow(/^SubscribeURL .* is not an SNS host$/);
    await expect(confirmSubscription(new URL(url))).rejects.toThrow(UnauthorizedError);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('fails with SNS’s status when SNS refuses the confirmation', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response('<Error>Token expired</Error>', { status: 403 }),
    );
    const message = asConfirmation(parseSnsMessage(fixtureJson(CONFIRMATION_FIXTURE)));

    await expect(confirmSubscription(new URL(message.SubscribeURL))).rejects.toMatchObject({
      code: 'upstream_unavailable',
      message: 'SNS answered HTTP 403 to the SubscribeURL: <Error>Token expired</Error>',
    });
  });
});

describe('default HTTP clients (against a loopback server)', () => {
  let server: Server | undefined;

  afterEach(async () => {
    const running = server;
    server = undefined;
    if (running) await new Promise((resolve) => running.close(resolve));
  });

  async function serve(listener: RequestListener): Promise<string> {
    const started = createServer(listener);
    server = started;
    await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
    const { port } = started.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  it('fetches a certificate body', async () => {
    const base = await serve((_req, res) => res.end(testSigningCertificatePem));

    await expect(createCertificateFetcher()(new URL(`${base}/cert.pem`))).resolves.toBe(
      testSigningCertificatePem,
    );
  });

  it('fails on a non-2xx answer', async () => {
    const base = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('not found');
    });

    await expect(createCertificateFetcher()(new URL(`${base}/cert.pem`))).rejects.toThrow('HTTP 404');
  });

  it('does not follow redirects', async () => {
    const base = await serve((req, res) => {
      if (req.url === '/cert.pem') {
        res.writeHead(302, { location: '/elsewhere.pem' });
        res.end();
      } else {
        res.end(testSigningCertificatePem);
      }
    });

    await expect(createCertificateFetcher()(new URL(`${base}/cert.pem`))).rejects.toThrow();
  });

  it('stops reading past the size cap, whether or not the length was declared', async () => {
    const base = await serve((req, res) => {
      if (req.url === '/declared.pem') res.setHeader('content-length', 5000);
      else res.setHeader('transfer-encoding', 'chunked');
      res.end('x'.repeat(5000));
    });
    const fetcher = createCertificateFetcher({ maxBytes: 1024 });

    await expect(fetcher(new URL(`${base}/declared.pem`))).rejects.toThrow(
      'certificate larger than 1024 bytes',
    );
    await expect(fetcher(new URL(`${base}/chunked.pem`))).rejects.toThrow(
      'certificate larger than 1024 bytes',
    );
  });

  it('gives up after the timeout', async () => {
    const base = await serve(() => {
      // never answers
    });

    await expect(createCertificateFetcher({ timeoutMs: 100 })(new URL(`${base}/cert.pem`))).rejects.toThrow(
      /timeout|aborted/i,
    );
  });

  it('confirms with a GET and resolves on 200', async () => {
    const requests: string[] = [];
    const base = await serve((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.end(
        '<ConfirmSubscriptionResponse><SubscriptionArn>arn</SubscriptionArn></ConfirmSubscriptionResponse>',
      );
    });

    await createSubscriptionConfirmer()(new URL(`${base}/?Action=ConfirmSubscription&Token=t`));

    expect(requests).toEqual(['GET /?Action=ConfirmSubscription&Token=t']);
  });

  it('says so when the SubscribeURL cannot be reached', async () => {
    const base = await serve(() => {
      // never answers
    });

    await expect(createSubscriptionConfirmer({ timeoutMs: 100 })(new URL(`${base}/`))).rejects.toThrow(
      /^could not reach the SNS SubscribeURL: .*(timeout|aborted)/i,
    );
  });

  it('fails with SNS’s explanation on a non-2xx answer', async () => {
    const base = await serve((_req, res) => {
      res.statusCode = 400;
      res.end(
        '<ErrorResponse>\n  <Error><Code>InvalidParameter</Code><Message>Token expired</Message></Error>\n</ErrorResponse>',
      );
    });

    await expect(
      createSubscriptionConfirmer()(new URL(`${base}/?Action=ConfirmSubscription`)),
    ).rejects.toThrow(
      /^SNS answered HTTP 400 to the SubscribeURL: <ErrorResponse> <Error><Code>InvalidParameter.*Token expired/,
    );
  });
});
