import { hash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.js';

/**
 * The challenge sent with every 401. SNS sends Basic credentials only after a challenge ("the
 * client service must be able to support the HTTP/1.1 401 Unauthorized header response",
 * Amazon SNS Developer Guide, "Fanout Amazon SNS notifications to HTTPS endpoints").
 */
export const AUTH_CHALLENGE = 'Basic realm="netwarden", charset="UTF-8"';

/** One-shot hashing: no Hash object per request (https://nodejs.org/api/crypto.html#cryptohashalgorithm-data-outputencoding). */
const digestOf = (text: string): Buffer => hash('sha256', text, 'buffer');

/** The digest of the configured token, made once: it is the same for every request. */
let expectedDigest: { token: string; digest: Buffer } | null = null;

/** Compares digests so neither the token's content nor its length leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  if (expectedDigest?.token !== expected) expectedDigest = { token: expected, digest: digestOf(expected) };
  return timingSafeEqual(digestOf(given), expectedDigest.digest);
}

/**
 * Accepts `Authorization: Bearer <token>` or HTTP Basic with the token as password (any user
 * name), the two forms EventBridge API destinations and SNS subscriptions can send.
 */
export function checkIngestAuth(header: string | undefined, token: string): void {
  if (header === undefined || header === '') {
    throw new UnauthorizedError('missing Authorization header: send "Bearer <INGEST_TOKEN>" or Basic auth');
  }
  const space = header.indexOf(' ');
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const credentials = space === -1 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (sameSecret(credentials, token)) return;
    throw new UnauthorizedError('the bearer token is not INGEST_TOKEN');
  }
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon !== -1 && sameSecret(decoded.slice(colon + 1), token)) return;
    throw new UnauthorizedError('the Basic auth password is not INGEST_TOKEN');
  }
  throw new UnauthorizedError(`unsupported Authorization scheme "${scheme}": use Bearer or Basic`);
}
