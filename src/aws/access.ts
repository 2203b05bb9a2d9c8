/**
 * netwarden's one way into AWS, built once per process by the composition root (src/app.ts, or a
 * CLI in bin/): the SDK clients per account and Region, and the adapters over them. There is one
 * CloudTrail adapter per account and Region, so everything that calls `LookupEvents` — the doctor,
 * the backfill, the `who` look-ups — shares one budget of under 2 requests per second per account
 * and Region (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createAwsClients } from './clients.js';
import { type CloudTrailFor, cloudTrailForClients } from './cloudtrail.js';
import type { AwsConfig } from './config.js';
import { type Ec2For, ec2ForClients } from './ec2.js';
import { type TrailsFor, trailsForClients } from './trails.js';

export interface AwsAccess {
  /** The raw EC2 client (flow logs, DryRun probes). */
  ec2Client(account: string, region: string): EC2Client;
  ec2For: Ec2For;
  /** `LookupEvents`, rate-limited per account and Region. */
  trailFor: CloudTrailFor;
  /** DescribeTrails, GetTrailStatus, GetEventSelectors (not rate-limited by netwarden). */
  trailsFor: TrailsFor;
  /** Closes every client's sockets. */
  destroy(): void;
}

/** Builds the clients and their adapters; `observe` is told every call's latency and outcome. */
export function createAwsAccess(options: {
  config: AwsConfig;
  observe?: (command: string, outcome: string, seconds: number) => void;
}): AwsAccess {
  const clients = createAwsClients({
    config: options.config,
    ...(options.observe ? { observe: options.observe } : {}),
  });
  const ec2Client = (account: string, region: string) => clients.ec2(account, region);
  const trailClient = (account: string, region: string) => clients.cloudTrail(account, region);
  return {
    ec2Client,
    ec2For: ec2ForClients(ec2Client),
    trailFor: cloudTrailForClients(trailClient),
    trailsFor: trailsForClients(trailClient),
    destroy: () => clients.destroy(),
  };
}
