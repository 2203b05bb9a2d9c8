/**
 * AWS SDK clients per account and region. The bot's own account uses its own credentials (the
 * SDK's default chain unless given); a member account listed with a `roleArn` is reached through
 * an assumed role whose session is shared by every regional client of that account and renewed
 * shortly before it expires.
 *
 * Endpoints are deliberately never set here. The SDK then resolves them from its standard
 * configuration: `AWS_ENDPOINT_URL_<SERVICE>` (`_EC2`, `_CLOUDTRAIL`, `_STS`), else
 * `AWS_ENDPOINT_URL` — "This endpoint is overridden by any configured service-specific
 * endpoint" — else `endpoint_url` in the shared config file; and the same guide notes that an
 * endpoint passed to a client constructor always wins over all of these, which is why no code
 * here passes one (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html;
 * the variable per service: https://docs.aws.amazon.com/sdkref/latest/guide/ss-endpoints-table.html).
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { AwsConfig } from './config.js';

/** Static credentials or a provider, as the SDK clients take them. */
export type Credentials = NonNullable<EC2ClientConfig['credentials']>;

interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Renew this long before expiry, as the SDK's own credential cache does (5 minutes). */
const RENEW_BEFORE_MS = 5 * 60_000;
/** One hour: the default and the minimum maximum session duration of an IAM role. */
const SESSION_SECONDS = 3600;

/** The config and, optionally, the bot's own credentials and clock. */
export interface AwsClientsOptions {
  config: AwsConfig;
  /** The bot's own credentials; default: the SDK's default credential chain. */
  credentials?: Credentials;
  /** The clock used to decide when an assumed session is renewed. */
  now?: () => Date;
  /** Told the latency and outcome of every AWS call (for /metrics). */
  observe?: (command: string, outcome: string, seconds: number) => void;
}

/** SDK clients for one account and region each, built on first use and reused after. */
export interface AwsClients {
  ec2(account: string, region: string): EC2Client;
  cloudTrail(account: string, region: string): CloudTrailClient;
  /** Closes every client's sockets. */
  destroy(): void;
}

/**
 * Shares one assumed-role session among callers until shortly before it expires; concurrent
 * callers wait for the same AssumeRole call, and a failed call is not cached.
 */
function sharedSession(
  assume: () => Promise<SessionCredentials>,
  now: () => Date,
): () => Promise<SessionCredentials> {
  let session: SessionCredentials | null = null;
  let pending: Promise<SessionCredentials> | null = null;
  return () => {
    const expiresAt = session?.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
    if (session && expiresAt - now().getTime() > RENEW_BEFORE_MS) return Promise.resolve(session);
    pending ??= assume().then(
      (fresh) => {
        session = fresh;
        pending = null;
        return fresh;
      },
      (error: unknown) => {
        pending = null;
        throw error;
      },
    );
    return pending;
  };
}

/** The part of an SDK client's middleware stack the metrics middleware uses. */
interface MiddlewareStackLike {
  add(
    middleware: (
      next: (args: unknown) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: unknown) => Promise<unknown>,
    options: { step: 'initialize'; name: string },
  ): void;
}

/** Builds clients per account and region from the `aws:` config. */
export function createAwsClients(options: AwsClientsOptions): AwsClients {
  const { config } = options;
  const now = options.now ?? (() => new Date());
  const sessions = new Map<string, () => Promise<SessionCredentials>>();
  const ec2Clients = new Map<string, EC2Client>();
  const trailClients = new Map<string, CloudTrailClient>();

  function credentialsFor(account: string): Credentials | undefined {
    const role = config.accounts[account];
    if (!role?.roleArn) return options.credentials;
    let session = sessions.get(account);
    if (!session) {
      const stsRegion = (role.regions ?? config.regions)[0];
      const roleArn = role.roleArn;
      const externalId = role.externalId;
      let provider: (() => Promise<SessionCredentials>) | null = null;
      // The credential providers (and the STS client under them) load only when an account is
      // reached through a role: a deployment watching its own account never needs them.
      const assume = async (): Promise<SessionCredentials> => {
        if (provider === null) {
          const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
          provider = fromTemporaryCredentials({
            params: {
              RoleArn: roleArn,
              RoleSessionName: config.roleSessionName,
              DurationSeconds: SESSION_SECONDS,
              ...(externalId ? { ExternalId: externalId } : {}),
            },
            ...(options.credentials ? { masterCredentials: options.credentials } : {}),
            clientConfig: { maxAttempts: config.maxAttempts, ...(stsRegion ? { region: stsRegion } : {}) },
          });
        }
        return provider();
      };
      session = sharedSession(assume, now);
      sessions.set(account, session);
    }
    return session;
  }

  function clientConfig(account: string, region: string) {
    const credentials = credentialsFor(account);
    // `retryMode: standard` retries throttling (RequestLimitExceeded) and 5xx with jittered backoff.
    return {
      region,
      maxAttempts: config.maxAttempts,
      retryMode: 'standard',
      ...(credentials ? { credentials } : {}),
    };
  }

  /** Times each call, retries included, from the SDK's `initialize` step (the outermost one). */
  function observed<C extends EC2Client | CloudTrailClient>(client: C): C {
    const observe = options.observe;
    if (!observe) return client;
    // The two clients' stacks differ only in their input/output types, which this middleware ignores.
    (client.middlewareStack as unknown as MiddlewareStackLike).add(
      (next, context) => async (args) => {
        const started = performance.now();
        const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        try {
          const result = await next(args);
          observe(command, 'ok', (performance.now() - started) / 1000);
          return result;
        } catch (error) {
          const name = error instanceof Error ? error.name : 'Error';
          observe(command, name, (performance.now() - started) / 1000);
          throw error;
        }
      },
      { step: 'initialize', name: 'netwardenMetrics' },
    );
    return client;
  }

  return {
    ec2(account, region) {
      const key = `${account}/${region}`;
      let client = ec2Clients.get(key);
      if (!client) {
        client = observed(new EC2Client(clientConfig(account, region)));
        ec2Clients.set(key, client);
      }
      return client;
    },
    cloudTrail(account, region) {
      const key = `${account}/${region}`;
      let client = trailClients.get(key);
      if (!client) {
        client = observed(new CloudTrailClient(clientConfig(account, region)));
        trailClients.set(key, client);
      }
      return client;
    },
    destroy() {
      for (const client of [...ec2Clients.values(), ...trailClients.values()]) client.destroy();
      ec2Clients.clear();
      trailClients.clear();
    },
  };
}
