import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord, fixtureText } from '../helpers/fixtures.js';
import {
  signSnsMessage,
  snsNotificationFields,
  snsSubscriptionConfirmationFields,
  testCertificateFetcher,
} from '../helpers/sns.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:netwarden-events';
const OTHER_TOPIC = 'arn:aws:sns:us-east-1:123456789012:someone-else';
const SNS_HEADERS = { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' };

describe('POST /aws/events with SNS messages', () => {
  let t: TestApp;
  const confirmed: URL[] = [];
  const certificates = testCertificateFetcher();

  beforeAll(async () => {
    t = await startTestApp(
      { SNS_TOPIC_ARNS: TOPIC },
      {
        sns: {
          fetchCertificate: certificates.fetch,
          confirmSubscription: async (url) => {
            confirmed.push(url);
          },
        },
      },
    );
  });
  afterAll(() => t.close());

  it('accepts a signed notification carrying an EventBridge event', async () => {
    const record = { ...fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json'), eventID: 'via-sns' };
    const body = signSnsMessage(
      snsNotificationFields({ TopicArn: TOPIC, Message: JSON.stringify(asEventBridge(record)) }),
    );

    const response = await t.post('/aws/events', JSON.stringify(body), SNS_HEADERS);

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, duplicates: 0, ignored: 0 });
    expect((await t.app.store.getChange('via-sns'))?.change).toMatchObject({
      eventName: 'AssociateRouteTable',
      resources: { subnetId: 'subnet-08752c8d74ae2c324' },
    });
    expect(certificates.calls.length).toBeGreaterThan(0);
  });

  it('refuses a notification whose message was changed after signing', async () => {
    const record = { ...fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json'), eventID: 'tampered' };
    const body = signSnsMessage(snsNotificationFields({ TopicArn: TOPIC, Message: JSON.stringify(record) }));
    body.Message = JSON.stringify({ ...record, eventID: 'tampered-2' });

    const response = await t.post('/aws/events', JSON.stringify(body), SNS_HEADERS);

    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('SNS signature did not verify');
    expect(await t.app.store.getChange('tampered-2')).toBeNull();
  });

  it('refuses the SNS documentation example, whose signature is truncated', async () => {
    const response = await t.post(
      '/aws/events',
      fixtureText('envelopes/sns-http-notification__awsdocs.json'),
      SNS_HEADERS,
    );
    expect(response.status).toBe(401);
  });

  it('refuses a signed notification from a topic that is not allowed, naming the setting', async () => {
    const body = signSnsMessage(snsNotificationFields({ TopicArn: OTHER_TOPIC }));
    const response = await t.post('/aws/events', JSON.stringify(body), SNS_HEADERS);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe(
      `TopicArn: topic ${OTHER_TOPIC} is not allowed: add it to SNS_TOPIC_ARNS to accept its messages`,
    );
  });

  it('confirms a subscription only for an allowed topic', async () => {
    const allowed = signSnsMessage(snsSubscriptionConfirmationFields({ TopicArn: TOPIC }));
    const other = signSnsMessage(snsSubscriptionConfirmationFields({ TopicArn: OTHER_TOPIC }));

    const ok = await t.post('/aws/events', JSON.stringify(allowed), SNS_HEADERS);
    const refused = await t.post('/aws/events', JSON.stringify(other), SNS_HEADERS);

    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ confirmed: true, topicArn: TOPIC });
    expect(refused.status).toBe(400);
    expect(confirmed.map((u) => u.searchParams.get('TopicArn'))).toEqual([TOPIC]);
  });

  it('answers 503 when the signing certificate cannot be fetched, so SNS retries', async () => {
    const offline = await startTestApp(
      { SNS_TOPIC_ARNS: TOPIC },
      {
        sns: {
          fetchCertificate: async () => {
            throw new Error('connect ECONNREFUSED');
          },
        },
      },
    );
    try {
      const body = signSnsMessage(snsNotificationFields({ TopicArn: TOPIC }));
      const response = await offline.post('/aws/events', JSON.stringify(body), SNS_HEADERS);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: string }).error).toContain(
        'could not fetch the SNS signing certificate',
      );
    } finally {
      await offline.close();
    }
  });
});
