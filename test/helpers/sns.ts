import { type KeyObject, sign } from 'node:crypto';
import type { CertificateFetcher } from '../../src/ingest/sns.js';
import { fixtureText } from './fixtures.js';

/** An SNS-shaped certificate URL; tests answer it with the test certificate via `testCertificateFetcher`. */
export const TEST_SIGNING_CERT_URL =
  'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-netwarden-test.pem';

/** The self-signed test certificate (test/fixtures/sns/README.md), as PEM. */
export const testSigningCertificatePem = fixtureText('sns/test-signing-cert.pem');

const testSigningKeyPem = fixtureText('sns/test-signing-key.pem');

/** SNS message fields; `undefined` leaves a field out (a Notification without Subject). */
export type SnsFields = Record<string, string | undefined>;

// Which names SNS signs for each Type (Amazon SNS Developer Guide, "Verifying the signatures of
// Amazon SNS messages"). Written independently of src/ingest/sns.ts so the two check each other.
const SIGNED_NAMES: Readonly<Record<string, readonly string[]>> = {
  Notification: ['Type', 'TopicArn', 'Timestamp', 'Subject', 'MessageId', 'Message'],
  SubscriptionConfirmation: [
    'Type',
    'TopicArn',
    'Token',
    'Timestamp',
    'SubscribeURL',
    'MessageId',
    'Message',
  ],
  UnsubscribeConfirmation: ['Type', 'TopicArn', 'Token', 'Timestamp', 'SubscribeURL', 'MessageId', 'Message'],
};

/**
 * Signs SNS fields the way SNS does: the present signed names in byte-sort order, each as
 * `name\nvalue\n`, RSA with SHA1 (version "1") or SHA256 (version "2"). Returns the full body.
 */
export function signSnsMessage(
  fields: SnsFields,
  options: { version?: '1' | '2'; signingCertUrl?: string; key?: KeyObject | string } = {},
): Record<string, string> {
  const version = options.version ?? '2';
  const names = SIGNED_NAMES[fields.Type ?? ''];
  if (!names) throw new Error(`signSnsMessage: unknown Type ${String(fields.Type)}`);
  const present = names
    .filter((name) => fields[name] !== undefined)
    .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const text = present.map((name) => `${name}\n${fields[name]}\n`).join('');
  const signature = sign(
    version === '1' ? 'sha1' : 'sha256',
    Buffer.from(text, 'utf8'),
    options.key ?? testSigningKeyPem,
  );

  const body: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) body[name] = value;
  }
  body.SignatureVersion = version;
  body.Signature = signature.toString('base64');
  body.SigningCertURL = options.signingCertUrl ?? TEST_SIGNING_CERT_URL;
  return body;
}

/** Realistic Notification fields (the payload is the caller's `Message`, e.g. a JSON EventBridge event). */
export function snsNotificationFields(overrides: SnsFields = {}): SnsFields {
  return {
    Type: 'Notification',
    MessageId: '0b6a6ad6-7b0e-4a8e-9c55-3a1a2f0c5e11',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:netwarden-events',
    Subject: 'AWS API Call via CloudTrail',
    Message: '{"detail-type":"AWS API Call via CloudTrail"}',
    Timestamp: '2025-11-20T10:15:30.123Z',
    UnsubscribeURL:
      'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:netwarden-events:5f3c0c1e-1a2b-4c3d-9e8f-0a1b2c3d4e5f',
    ...overrides,
  };
}

/** Realistic SubscriptionConfirmation fields for the topic in `snsNotificationFields`. */
export function snsSubscriptionConfirmationFields(overrides: SnsFields = {}): SnsFields {
  const topicArn = overrides.TopicArn ?? 'arn:aws:sns:us-east-1:123456789012:netwarden-events';
  const token = `2336412f37fb687f5d51e6e2425a8a58${'f3ac0a1e'.repeat(4)}`;
  return {
    Type: 'SubscriptionConfirmation',
    MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
    Token: token,
    TopicArn: topicArn,
    Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=${token}`,
    Timestamp: '2025-11-20T10:00:04.751Z',
    ...overrides,
  };
}

/** A CertificateFetcher answering every URL with the test certificate, recording what it was asked. */
export function testCertificateFetcher(pem: string = testSigningCertificatePem): {
  fetch: CertificateFetcher;
  calls: URL[];
} {
  const calls: URL[] = [];
  return {
    calls,
    fetch: async (url) => {
      calls.push(url);
      return pem;
    },
  };
}
