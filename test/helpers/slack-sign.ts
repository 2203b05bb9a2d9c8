import { createHmac } from 'node:crypto';

/**
 * Signs a body exactly as Slack does (doc "Verifying requests from Slack"): HMAC-SHA256 keyed with
 * the signing secret over `v0:<timestamp>:<body>`, sent as `X-Slack-Signature: v0=<hex>`.
 */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Headers of a signed Slack request with a form body. */
export function signedHeaders(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, timestamp, body),
  };
}

/** The form body of an interaction: the payload JSON in the `payload` field. */
export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
