/**
 * Who made a call, read from a CloudTrail `userIdentity`. The shapes differ per identity type
 * (AWS CloudTrail userIdentity element reference), and services leave fields out or empty, so
 * every field is read leniently: a missing or empty value becomes `null`, never an error.
 */
import type { Actor, ActorType, SessionIssuer } from './change.js';

type Json = Readonly<Record<string, unknown>>;

const ACTOR_TYPES: ReadonlySet<string> = new Set<Exclude<ActorType, 'Unknown'>>([
  'Root',
  'IAMUser',
  'AssumedRole',
  'FederatedUser',
  'AWSService',
  'AWSAccount',
  'IdentityCenterUser',
  'WebIdentityUser',
  'SAMLUser',
]);

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function field(object: unknown, key: string): unknown {
  return isObject(object) ? object[key] : undefined;
}

function isActorType(type: string): type is ActorType {
  return ACTOR_TYPES.has(type);
}

function actorType(identity: Json): ActorType {
  const type = str(identity.type);
  if (type && isActorType(type)) return type;
  // Some service-made records carry only `accountId` and `invokedBy`, without a type.
  if (!type && str(identity.invokedBy)) return 'AWSService';
  return 'Unknown';
}

/** `AROA…:alice@example.com` → `alice@example.com`: the part after the unique id is the session name. */
function principalSuffix(principalId: string | null): string | null {
  if (!principalId) return null;
  const colon = principalId.lastIndexOf(':');
  return colon >= 0 ? str(principalId.slice(colon + 1)) : null;
}

/** The path after `:assumed-role/` (`Role/session`) or `:federated-user/` split into segments. */
function arnSegments(arn: string | null, marker: string): string[] {
  if (!arn) return [];
  const at = arn.indexOf(marker);
  return at < 0
    ? []
    : arn
        .slice(at + marker.length)
        .split('/')
        .filter(Boolean);
}

/**
 * The last of the segments `arnSegments` would give when there are two or more, else `null`;
 * without building them, as it runs for every assumed-role record.
 */
function lastOfSeveralSegments(arn: string | null, marker: string): string | null {
  if (!arn) return null;
  const at = arn.indexOf(marker);
  if (at < 0) return null;
  let end = arn.length;
  while (end > at + marker.length && arn[end - 1] === '/') end -= 1;
  const slash = arn.lastIndexOf('/', end - 1);
  // The last segment is arn[slash + 1, end); another one must come before it.
  if (slash < at + marker.length) return null;
  for (let i = at + marker.length; i < slash; i++) {
    if (arn[i] !== '/') return arn.slice(slash + 1, end);
  }
  return null;
}

/** The session name of an assumed role: the ARN's last segment, else the principal id's suffix. */
function sessionName(arn: string | null, principalId: string | null): string | null {
  // `assumed-role/Role` without a session occurs in hand-made records; the principal id still has it.
  return lastOfSeveralSegments(arn, ':assumed-role/') ?? principalSuffix(principalId);
}

/**
 * The session name of an assumed-role actor (`gh-1234` in `assumed-role/terraform-ci/gh-1234`), or
 * `null` for every other kind of identity: only role sessions have one.
 */
export function sessionNameOf(actor: Actor): string | null {
  return actor.type === 'AssumedRole' ? sessionName(actor.arn, actor.principalId) : null;
}

function sessionIssuerOf(identity: Json): SessionIssuer | null {
  const issuer = field(field(identity, 'sessionContext'), 'sessionIssuer');
  // Long-term credentials show `sessionIssuer: {}`: there is no issuer.
  const type = str(field(issuer, 'type'));
  if (!type) return null;
  return {
    type,
    arn: str(field(issuer, 'arn')),
    name: str(field(issuer, 'userName')),
    accountId: str(field(issuer, 'accountId')),
  };
}

/** CloudTrail writes `"true"`/`"false"` (once even `"False"`); tolerate booleans too. */
function mfaOf(identity: Json): boolean | null {
  const value = field(field(field(identity, 'sessionContext'), 'attributes'), 'mfaAuthenticated');
  if (typeof value === 'boolean') return value;
  const text = str(value)?.toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : null;
}

function lastSegment(arn: string | null): string | null {
  if (!arn) return null;
  const resource = arn.split(':').slice(5).join(':');
  return str(resource.split('/').pop());
}

/** The identity's most human name: the first of its candidates (in order) that is present. */
function nameOf(type: ActorType, identity: Json, issuer: SessionIssuer | null): string {
  const arn = str(identity.arn);
  const principalId = str(identity.principalId);
  const userName = str(identity.userName);
  const invokedBy = str(identity.invokedBy);
  const accountId = str(identity.accountId);
  switch (type) {
    case 'Root':
      return 'root';
    case 'IAMUser':
      return userName ?? lastSegment(arn) ?? principalId ?? 'unknown';
    case 'AssumedRole':
      return sessionName(arn, principalId) ?? issuer?.name ?? principalId ?? 'unknown';
    case 'FederatedUser':
      return (
        arnSegments(arn, ':federated-user/').pop() ?? principalSuffix(principalId) ?? principalId ?? 'unknown'
      );
    case 'AWSService':
      return invokedBy ?? principalId ?? 'unknown';
    case 'AWSAccount':
      return accountId ?? principalId ?? 'unknown';
    case 'IdentityCenterUser':
      return userName ?? str(field(identity.onBehalfOf, 'userId')) ?? str(identity.credentialId) ?? 'unknown';
    case 'WebIdentityUser':
    case 'SAMLUser':
      return userName ?? principalSuffix(principalId) ?? principalId ?? 'unknown';
    case 'Unknown':
      // Unknown identities vary most (AD users, anonymous callers, half-filled sessions); a session
      // suffix of the principal id is the most human part when there is one.
      return (
        principalSuffix(principalId) ??
        userName ??
        principalId ??
        lastSegment(arn) ??
        invokedBy ??
        accountId ??
        'unknown'
      );
  }
}

/** Builds the Actor of a CloudTrail `userIdentity`; anything that is not an object gives an Unknown actor. */
export function actorFromIdentity(userIdentity: unknown): Actor {
  const identity: Json = isObject(userIdentity) ? userIdentity : {};
  const type = actorType(identity);
  const sessionIssuer = sessionIssuerOf(identity);
  const name = nameOf(type, identity, sessionIssuer);
  const userName = str(identity.userName);
  const email = EMAIL.test(name) ? name : userName !== null && EMAIL.test(userName) ? userName : null;
  return {
    type,
    arn: str(identity.arn),
    name,
    accountId: str(identity.accountId),
    principalId: str(identity.principalId),
    accessKeyId: str(identity.accessKeyId),
    sessionIssuer,
    email,
    mfaAuthenticated: mfaOf(identity),
    invokedBy: str(identity.invokedBy),
  };
}
