/**
 * Keeps the topology snapshot fresh: reads VPCs from EC2 and stores them, on demand (after each
 * change, by enrich.ts) and on a schedule. The schedule covers every region of every account in
 * `aws.accounts`, so a VPC has a "before" state even for its first change, and every VPC already
 * known from events. Replicas share the work through leases: one refreshes a scope per interval.
 */
import { type NetworkState, prefixListIdsIn } from '../domain/state.js';
import type { Logger } from '../logger.js';
import type { TopologySnapshot, TopologyStore, VpcRef } from '../store/topology-store.js';
import { type AwsConfig, regionsOf } from './config.js';
import type { Ec2For } from './ec2.js';

/** What one scheduled round did. */
export interface RefreshReport {
  refreshed: VpcRef[];
  /** Scopes (`account/region`, `account/region/vpc`) another replica was refreshing. */
  skipped: string[];
  failed: Array<{ scope: string; error: string }>;
}

/** Reads VPCs from EC2 into the topology store. */
export interface SnapshotService {
  /** Reads one VPC from EC2 and stores the snapshot. */
  refreshVpc(vpc: VpcRef): Promise<TopologySnapshot>;
  /** Reads every VPC of a region and stores one snapshot each. */
  refreshRegion(account: string, region: string): Promise<TopologySnapshot[]>;
  /** One scheduled round over the configured regions and the known VPCs; never throws. */
  refreshAll(): Promise<RefreshReport>;
  /** Runs `refreshAll` every `aws.snapshot.refreshIntervalSeconds` (unless 0); returns the stop function. */
  start(): () => void;
}

/** What the service reads from and writes to. */
export interface SnapshotServiceDeps {
  ec2For: Ec2For;
  store: TopologyStore;
  config: AwsConfig;
  logger: Logger;
  now?: () => Date;
}

/** The part of a region-wide state that belongs to one VPC. */
export function stateOfVpc(state: NetworkState, vpcId: string): NetworkState {
  const vpc: NetworkState = {
    subnets: state.subnets.filter((s) => s.vpcId === vpcId),
    routeTables: state.routeTables.filter((t) => t.vpcId === vpcId),
    networkAcls: state.networkAcls.filter((a) => a.vpcId === vpcId),
  };
  // Absent stays absent: a part that was not read is unknown, not empty.
  if (state.securityGroups !== undefined) {
    vpc.securityGroups = state.securityGroups.filter((g) => g.vpcId === vpcId);
  }
  if (state.networkInterfaces !== undefined) {
    vpc.networkInterfaces = state.networkInterfaces.filter((ni) => ni.vpcId === vpcId);
  }
  // The lists this VPC's rules and routes name; as in a read of the VPC alone, absent when none.
  const named = new Set(prefixListIdsIn(vpc));
  const lists = (state.prefixLists ?? []).filter((l) => named.has(l.prefixListId));
  if (lists.length > 0) vpc.prefixLists = lists;
  return vpc;
}

function vpcIdsIn(state: NetworkState): string[] {
  const ids = [
    ...state.subnets,
    ...state.routeTables,
    ...state.networkAcls,
    ...(state.securityGroups ?? []),
    ...(state.networkInterfaces ?? []),
  ].map((r) => r.vpcId);
  return [...new Set(ids.filter((id): id is string => id !== null))];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Builds the service. */
export function createSnapshotService(deps: SnapshotServiceDeps): SnapshotService {
  const { ec2For, store, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const intervalMs = config.snapshot.refreshIntervalSeconds * 1000;

  async function refreshVpc(vpc: VpcRef): Promise<TopologySnapshot> {
    const state = await ec2For(vpc.account, vpc.region).describeNetwork(vpc.vpcId);
    // Stamped when the read has finished: a snapshot counts as "before" a change only if every
    // page of it was read before the change happened.
    const snapshot: TopologySnapshot = { ...vpc, fetchedAt: now().toISOString(), state };
    await store.saveSnapshot(snapshot);
    return snapshot;
  }

  async function refreshRegion(account: string, region: string): Promise<TopologySnapshot[]> {
    const state = await ec2For(account, region).describeNetwork(null);
    const fetchedAt = now().toISOString();
    const snapshots = vpcIdsIn(state).map(
      (vpcId): TopologySnapshot => ({ account, region, vpcId, fetchedAt, state: stateOfVpc(state, vpcId) }),
    );
    for (const snapshot of snapshots) await store.saveSnapshot(snapshot);
    return snapshots;
  }

  async function refreshAll(): Promise<RefreshReport> {
    const report: RefreshReport = { refreshed: [], skipped: [], failed: [] };
    // A lease shorter than the interval: a replica that died mid-round does not block the next.
    const leaseMs = Math.max(30_000, Math.floor(intervalMs * 0.9));
    const covered = new Set<string>();
    for (const account of Object.keys(config.accounts)) {
      for (const region of regionsOf(config, account)) {
        const scope = `${account}/${region}`;
        covered.add(scope);
        try {
          if (!(await store.claimLease(`topology:${scope}`, leaseMs))) {
            report.skipped.push(scope);
            continue;
          }
          const snapshots = await refreshRegion(account, region);
          report.refreshed.push(
            ...snapshots.map(({ account: a, region: r, vpcId }) => ({ account: a, region: r, vpcId })),
          );
        } catch (error) {
          report.failed.push({ scope, error: message(error) });
        }
      }
    }
    const known = await store.knownVpcs().catch((error: unknown) => {
      report.failed.push({ scope: 'known VPCs', error: message(error) });
      return [];
    });
    for (const vpc of known) {
      if (covered.has(`${vpc.account}/${vpc.region}`)) continue;
      const scope = `${vpc.account}/${vpc.region}/${vpc.vpcId}`;
      try {
        if (!(await store.claimLease(`topology:${scope}`, leaseMs))) {
          report.skipped.push(scope);
          continue;
        }
        await refreshVpc(vpc);
        report.refreshed.push(vpc);
      } catch (error) {
        report.failed.push({ scope, error: message(error) });
      }
    }
    return report;
  }

  return {
    refreshVpc,
    refreshRegion,
    refreshAll,
    start() {
      if (intervalMs === 0) return () => {};
      let running = false;
      const round = async () => {
        if (running) return;
        running = true;
        try {
          const report = await refreshAll();
          for (const failure of report.failed) {
            logger.warn({ scope: failure.scope, err: failure.error }, 'topology snapshot refresh failed');
          }
          logger.debug(
            { refreshed: report.refreshed.length, skipped: report.skipped.length },
            'topology refreshed',
          );
        } finally {
          running = false;
        }
      };
      void round();
      const timer = setInterval(() => void round(), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
