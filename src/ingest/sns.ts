/**
 * Amazon SNS HTTP(S) messages: parse the JSON body, prove that SNS sent it, and confirm a subscription.
 * Which topics are welcome is decided by the HTTP handler against configuration, not here.
 *
 * Sources (Amazon SNS Developer Guide):
 * - "Verifying the signatures of Amazon SNS messages"
 *   https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html and
 *   https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message-verify-message-signature.html
 *   (fields and order of the string to sign, `name\nvalue\n`, SHA1/SHA256, HTTPS from an SNS host)
 * - "Parsing message formats": https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
 *   (http-notification-json, http-subscription-confirmation-json, http-unsubscribe-confirmation-json)
 * - "Step 3: Confirm the subscription": https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.confirm.html
 */
import { verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { NetwardenError, UnauthorizedError } from '../errors.js';
import { parseWith } from '../validation.js';

type SnsCommon = {
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
};

/** A message SNS publishes to the topic; `Subject` is absent when the publisher gave none. */
export type SnsNotification = SnsCommon & {
  Type: 'Notification';
  Subject?: string | undefined;
  UnsubscribeURL?: string | undefined;
};

/** Sent once when an endpoint is subscribed; visiting `SubscribeURL` confirms the subscription. */
export type SnsSubscriptionConfirmation = SnsCommon & {
  Type: 'SubscriptionConfirmation';
  Token: string;
  SubscribeURL: string;
};

/** Sent after an unsubscribe; its `SubscribeURL` would re-subscribe, so nothing visits it automatically. */
export type SnsUnsubscribeConfirmation = SnsCommon & {
  Type: 'UnsubscribeConfirmation';
  Token: string;
  SubscribeURL: string;
};

/** An SNS HTTP(S) message body, typed by `Type`. */
export type SnsMessage = SnsNotification | SnsSubscriptionConfirmation | SnsUnsubscribeConfirmation;

const nonEmpty = z.string().min(1, 'expected a non-empty string');
// Partitions aws, aws-cn, aws-us-gov…; FIFO topic names end in `.fifo`.
const topicArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/,
    'expected an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)',
  );
// Kept as the original string: it goes verbatim into the string to sign.
const timestamp = z.iso.datetime({ message: 'expected an ISO 8601 UTC timestamp' });

const common = {
  MessageId: nonEmpty,
  TopicArn: topicArn,
  Message: z.string(),
  Timestamp: timestamp,
  // Any string: an unknown version is a well-formed message we cannot verify (401), not a malformed one.
  SignatureVersion: nonEmpty,
  Signature: nonEmpty,
  SigningCertURL: nonEmpty,
};

const snsMessageSchema: z.ZodType<SnsMessage> = z.discriminatedUnion('Type', [
  z.object({
    Type: z.literal('Notification'),
    ...common,
    Subject: z.string().optional(),
    UnsubscribeURL: z.string().optional(),
  }),
  z.object({
    Type: z.literal('SubscriptionConfirmation'),
    ...common,
    Token: nonEmpty,
    SubscribeURL: nonEmpty,
  }),
  z.object({
    Type: z.literal('UnsubscribeConfirmation'),
    ...common,
    Token: nonEmpty,
    SubscribeURL: nonEmpty,
  }),
]);

const SNIFF_KEYS = ['Type', 'TopicArn', 'Signature', 'SignatureVersion', 'SigningCertURL'] as const;

/** Cheap sniff: does this JSON value look like an SNS HTTP(S) envelope (and so need parsing and verifying)? */
export function isSnsMessage(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Presence, not types: a half-right SNS body should fail parseSnsMessage naming the field,
  // not fall through to "unknown envelope".
  return SNIFF_KEYS.every((key) => key in value);
}

/** Parses an untrusted SNS body, or throws an InputError naming the bad field (`TopicArn: expected …`). */
export function parseSnsMessage(value: unknown, path = ''): SnsMessage {
  return parseWith(snsMessageSchema, value, path);
}

/**
 * The exact bytes SNS signed: `name\nvalue\n` for each field, names in byte-sort order. Notification:
 * Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type. Subscription and unsubscribe
 * confirmations: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
 */
export function stringToSign(message: SnsMessage): string {
  const pairs: ReadonlyArray<readonly [string, string | undefined]> =
    message.Type === 'Notification'
      ? [
          ['Message', message.Message],
          ['MessageId', message.MessageId],
          ['Subject', message.Subject],
          ['Timestamp', message.Timestamp],
          ['TopicArn', message.TopicArn],
          ['Type', message.Type],
        ]
      : [
          ['Message', message.Message],
          ['MessageId', message.MessageId],
          ['SubscribeURL', message.SubscribeURL],
          ['Timestamp', message.Timestamp],
          ['Token', message.Token],
          ['TopicArn', message.TopicArn],
          ['Type', message.Type],
        ];
  let out = '';
  for (const [name, value] of pairs) {
    if (value !== undefined) out += `${name}\n${value}\n`;
  }
  return out;
}

/** Attacker-supplied text in an error message: quoted and bounded. */
function quote(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

// AWS's own validators (aws-js-sns-message-validator, aws-php-sns-message-validator) accept
// `sns.<3+ chars>.amazonaws.com(.cn)`. We also require the middle label to look like a region
// (`us-east-1`, `cn-north-1`, `us-gov-west-1`): an S3 bucket named "sns" on a legacy S3 host such as
// `s3-external-1.amazonaws.com` would otherwise pass, and anyone can put a .pem in a bucket.
const SNS_HOST = /^sns\.[a-z]{2,4}(-[a-z]+)+-\d{1,2}\.amazonaws\.com(\.cn)?$/;

function snsUrl(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  // `hostname` is already lower-cased by the URL parser; a default :443 is normalised away, so any
  // port left is a non-standard one SNS never uses. Credentials in the URL are never SNS's either.
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '') return null;
  return SNS_HOST.test(url.hostname) ? url : null;
}

function signingCertUrl(value: string): URL | null {
  const url = snsUrl(value);
  // SNS serves its certificates as `/SimpleNotificationService-<hash>.pem`; AWS's validators insist on .pem.
  return url?.pathname.endsWith('.pem') ? url : null;
}

/** True if `url` is an https URL on an SNS regional host, the only place a SigningCertURL may point to. */
export function isAllowedSigningCertUrl(url: string): boolean {
  return signingCertUrl(url) !== null;
}

/** True if `url` is an https URL on an SNS regional host, the only place we will GET to confirm a subscription. */
export function isAllowedSubscribeUrl(url: string): boolean {
  return snsUrl(url) !== null;
}

/** Downloads the PEM certificate at an already-vetted SNS URL; injectable so tests need no network. */
export type CertificateFetcher = (url: URL) => Promise<string>;

/** GETs an already-vetted SubscribeURL and resolves when SNS accepted it; injectable for tests. */
export type SubscriptionConfirmer = (url: URL) => Promise<void>;

/**
 * The signing certificate could not be fetched or read. That is an outage (ours or SNS's), not a
 * forgery, so the HTTP layer should answer 5xx: SNS retries server-side errors and nothing is lost.
 */
export class SnsCertificateUnavailableError extends NetwardenError {
  constructor(url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`could not fetch the SNS signing certificate ${url}: ${reason}`, {
      code: 'upstream_unavailable',
      cause,
    });
  }
}

const CERT_FETCH_TIMEOUT_MS = 5_000;
// An SNS certificate is under 2 KiB; the cap stops a misbehaving server from filling memory.
const CERT_MAX_BYTES = 32 * 1024;
const CONFIRM_TIMEOUT_MS = 10_000;

/** Reads at most `maxBytes` of a response body; `complete` is false if there was more. */
async function readUpTo(response: Response, maxBytes: number): Promise<{ text: string; complete: boolean }> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    return { text: '', complete: false };
  }
  if (!response.body) return { text: '', complete: true };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return { text: Buffer.concat(chunks).toString('utf8'), complete: false };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), complete: true };
}

/** The default certificate fetcher: global fetch, no redirects, a timeout and a size cap. */
export function createCertificateFetcher(
  options: { timeoutMs?: number; maxBytes?: number } = {},
): CertificateFetcher {
  const timeoutMs = options.timeoutMs ?? CERT_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? CERT_MAX_BYTES;
  return async (url) => {
    // A redirect could lead anywhere, undoing the host check; SNS serves certificates directly.
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const { text, complete } = await readUpTo(response, maxBytes);
    if (!complete) throw new Error(`certificate larger than ${maxBytes} bytes`);
    return text;
  };
}

/**
 * A plain GET of an already-vetted SubscribeURL (no redirects, with a timeout); throws unless SNS
 * answers 2xx. `confirmSubscription` is this plus the SNS host check; use that one in production.
 */
export function createSubscriptionConfirmer(options: { timeoutMs?: number } = {}): SubscriptionConfirmer {
  const timeoutMs = options.timeoutMs ?? CONFIRM_TIMEOUT_MS;
  return async (url) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'GET',
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new NetwardenError(`could not reach the SNS SubscribeURL: ${reason}`, {
        code: 'upstream_unavailable',
        cause: error,
      });
    }
    if (response.ok) {
      // The XML answer only repeats the SubscriptionArn; drop it so the socket is freed.
      await response.body?.cancel();
      return;
    }
    // SNS explains a refusal (an expired token, say) in a short XML body: keep a bounded excerpt.
    const { text } = await readUpTo(response, 2048);
    const detail = text.replace(/\s+/g, ' ').trim().slice(0, 300);
    throw new NetwardenError(
      `SNS answered HTTP ${response.status} to the SubscribeURL${detail ? `: ${detail}` : ''}`,
      { code: 'upstream_unavailable' },
    );
  };
}

const getSubscribeUrl = createSubscriptionConfirmer();

/**
 * The production SubscriptionConfirmer: refuses (UnauthorizedError) any URL that is not https on an
 * SNS host, then GETs it, which is how an HTTP(S) subscriber confirms (SNS sends nothing until then).
 * The caller verifies the message and checks its TopicArn first.
 */
export const confirmSubscription: SubscriptionConfirmer = async (url) => {
  // The URL came out of a signed message, but it is the one place we call an address a sender chose.
  if (!isAllowedSubscribeUrl(url.href)) {
    throw new UnauthorizedError(`SubscribeURL ${quote(url.href)} is not an SNS host`);
  }
  await getSubscribeUrl(url);
};

/** Checks SNS message signatures; certificates are fetched once per URL and cached. */
export type SnsVerifier = {
  /** Resolves if SNS signed `message`; throws UnauthorizedError if not, SnsCertificateUnavailableError on outage. */
  verify(message: SnsMessage): Promise<void>;
};

// SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA (PKCS#1 v1.5, Node's default RSA padding).
const DIGEST_BY_VERSION: Readonly<Record<string, 'sha1' | 'sha256'>> = { '1': 'sha1', '2': 'sha256' };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// SNS uses one certificate per region for a long time; the bound protects memory from a flood of
// distinct (vetted, but attacker-chosen) SNS certificate URLs.
const CERT_CACHE_MAX_ENTRIES = 32;
const CERT_CACHE_TTL_MS = 24 * 60 * 60 * 1000;

type CacheEntry = { certificate: Promise<X509Certificate>; expiresAt: number };

/** Builds a verifier; pass `fetchCertificate` and `now` in tests, keep the defaults in production. */
export function createSnsVerifier(
  options: { fetchCertificate?: CertificateFetcher; now?: () => number } = {},
): SnsVerifier {
  const fetchCertificate = options.fetchCertificate ?? createCertificateFetcher();
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order; re-inserting on a hit makes the first key the least recently used.
  const cache = new Map<string, CacheEntry>();

  async function download(url: URL): Promise<X509Certificate> {
    let pem: string;
    try {
      pem = await fetchCertificate(url);
    } catch (error) {
      throw new SnsCertificateUnavailableError(url.href, error);
    }
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw new SnsCertificateUnavailableError(
        url.href,
        new Error('the answer is not a PEM certificate', { cause: error }),
      );
    }
  }

  function certificateFor(url: URL): Promise<X509Certificate> {
    const key = url.href;
    const hit = cache.get(key);
    cache.delete(key);
    if (hit && hit.expiresAt > now()) {
      cache.set(key, hit);
      return hit.certificate;
    }
    // The promise is cached, not the result, so a burst of messages shares one download.
    const entry: CacheEntry = { certificate: download(url), expiresAt: now() + CERT_CACHE_TTL_MS };
    cache.set(key, entry);
    entry.certificate.catch(() => {
      // A failure is not remembered: the next message (or SNS's retry) tries again.
      if (cache.get(key) === entry) cache.delete(key);
    });
    for (const oldest of cache.keys()) {
      if (cache.size <= CERT_CACHE_MAX_ENTRIES) break;
      cache.delete(oldest);
    }
    return entry.certificate;
  }

  return {
    async verify(message) {
      // Every cheap refusal comes before the fetch, so a forged body never makes us call out.
      const digest = DIGEST_BY_VERSION[message.SignatureVersion];
      if (!digest) {
        throw new UnauthorizedError(
          `SNS SignatureVersion ${quote(message.SignatureVersion)} is not supported (expected "1" or "2")`,
        );
      }
      if (!BASE64.test(message.Signature)) throw new UnauthorizedError('SNS Signature is not base64');
      const url = signingCertUrl(message.SigningCertURL);
      if (!url) {
        throw new UnauthorizedError(
          `SigningCertURL ${quote(message.SigningCertURL)} is not an SNS host (expected https://sns.<region>.amazonaws.com/….pem)`,
        );
      }

      const certificate = await certificateFor(url);
      const at = now();
      if (at < Date.parse(certificate.validFrom) || at > Date.parse(certificate.validTo)) {
        throw new UnauthorizedError('SNS signing certificate is expired or not yet valid');
      }
      if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
        throw new UnauthorizedError('SNS signing certificate does not hold an RSA key');
      }

      let valid: boolean;
      try {
        valid = cryptoVerify(
          digest,
          Buffer.from(stringToSign(message), 'utf8'),
          certificate.publicKey,
          Buffer.from(message.Signature, 'base64'),
        );
      } catch {
        valid = false;
      }
      if (!valid) throw new UnauthorizedError('SNS signature did not verify');
    },
  };
}
