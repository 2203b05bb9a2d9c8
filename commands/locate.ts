/**
 * Where a subnet, route table, network ACL, security group, network interface or instance lives, and its VPC's state read live from EC2. A
 * look-up names only the id (and maybe a region), so the account and region are found in this
 * order: the accounts and regions of netwarden's own records of the resource, then the configured
 * ones — each asked with a Describe call filtered by the id (a filter that matches nothing answers
 * empty, where the id parameters would answer `…NotFound`). When EC2 cannot be read, the topology
 * snapshot stands in, and the answer says how old it is.
 */
import { type AwsScope, CloudTrailError, OWN_ACCOUNT } from '../src/aws/cloudtrail.js';
import type { Ec2Adapter } from '../src/aws/ec2.js';
import { Ec2Error } from '../src/aws/errors.js';
import type { NetworkState } from '../src/domain/state.js';
import { NetwardenError, StoreUnavailableError } from '../src/errors.js';
import type { SlackMessage } from '../src/slack/blocks/index.js';
import { buildNotFound, type Place } from '../src/slack/blocks/lookups.js';
import type { StoredChange } from '../src/store/store.js';
import type { LookupDeps } from './types.js';

/** The kinds a look-up finds the VPC of: those with a network view of their own, and what the exposure look-ups name. */
export type NetworkKind = 'subnet' | 'rtb' | 'acl' | 'sg' | 'eni' | 'instance';

/** A resource found, with the state of its VPC. */
export interface LocatedNetwork {
  scope: AwsScope;
  vpcId: string | null;
  state: NetworkState;
  /** When the state was read (ISO-8601). */
  fetchedAt: string;
  source: 'ec2' | 'snapshot';
  /** What could not be checked or read, in sentences. */
  notes: string[];
}

/** Found, or why not. */
export type LocateResult =
  | { ok: true; found: LocatedNetwork }
  | { ok: false; reason: string; notes: string[] };

/** How many account/region pairs are asked at once. */
const PARALLEL_SCOPES = 4;
/** Records of the resource consulted for its account and region. */
const RECORDS_CONSULTED = 10;

function key(scope: AwsScope): string {
  return `${scope.account}/${scope.region}`;
}

function unique(scopes: readonly AwsScope[]): AwsScope[] {
  const seen = new Map<string, AwsScope>();
  for (const scope of scopes) if (!seen.has(key(scope))) seen.set(key(scope), scope);
  return [...seen.values()];
}

/** `eu-west-1 in 111122223333` (or `in netwarden's own account`). */
export function scopeText(scope: AwsScope): string {
  return scope.account === OWN_ACCOUNT
    ? `${scope.region} in netwarden's own account`
    : `${scope.region} in ${scope.account}`;
}

/** An AWS failure in words; a Redis failure is not an AWS problem and is thrown on. */
export function awsProblem(error: unknown): string {
  if (error instanceof StoreUnavailableError) throw error;
  if (error instanceof Ec2Error) return `${error.awsCode}: ${error.sentence}`;
  if (error instanceof CloudTrailError) return `${error.awsCode}: ${error.sentence}`;
  if (error instanceof NetwardenError) return error.message;
  throw error;
}

/**
 * The account/region pairs to search, most likely first: those of netwarden's records of the
 * resource, then the configured ones; with a region given, only that region, in every account
 * known (netwarden's own credentials when none is configured).
 */
export async function candidateScopes(
  id: string,
  region: string | null,
  deps: LookupDeps,
): Promise<AwsScope[]> {
  const records = (await deps.store.changesForResource(id, RECORDS_CONSULTED)).map((s) => ({
    account: s.change.account,
    region: s.change.region,
  }));
  const known = unique([...records, ...(deps.aws?.scopes ?? [])]);
  if (region === null) return known;
  const accounts = [...new Set(known.map((s) => s.account))];
  return (accounts.length > 0 ? accounts : [OWN_ACCOUNT]).map((account) => ({ account, region }));
}

/** The VPC of the resource in one account and region; `undefined` when EC2 does not know it there. */
async function vpcIn(
  ec2: Ec2Adapter,
  kind: NetworkKind,
  id: string,
): Promise<{ vpcId: string | null } | undefined> {
  switch (kind) {
    case 'subnet': {
      const [subnet] = await ec2.describeSubnets([{ name: 'subnet-id', values: [id] }]);
      return subnet ? { vpcId: subnet.vpcId } : undefined;
    }
    case 'rtb': {
      const [table] = await ec2.describeRouteTables([{ name: 'route-table-id', values: [id] }]);
      return table ? { vpcId: table.vpcId } : undefined;
    }
    case 'acl': {
      const [acl] = await ec2.describeNetworkAcls([{ name: 'network-acl-id', values: [id] }]);
      return acl ? { vpcId: acl.vpcId } : undefined;
    }
    case 'sg': {
      const [group] = await ec2.describeSecurityGroups([{ name: 'group-id', values: [id] }]);
      return group ? { vpcId: group.vpcId } : undefined;
    }
    case 'eni': {
      const [ni] = await ec2.describeNetworkInterfaces([{ name: 'network-interface-id', values: [id] }]);
      return ni ? { vpcId: ni.vpcId } : undefined;
    }
    case 'instance': {
      // An instance is found by its interfaces: every one of them is in the instance's VPC.
      const [ni] = await ec2.describeNetworkInterfaces([{ name: 'attachment.instance-id', values: [id] }]);
      return ni ? { vpcId: ni.vpcId } : undefined;
    }
  }
}

type Probe =
  | { kind: 'found'; vpcId: string | null; state: NetworkState; at: Date }
  | { kind: 'absent' }
  | { kind: 'failed'; problem: string };

async function probe(scope: AwsScope, kind: NetworkKind, id: string, deps: LookupDeps): Promise<Probe> {
  const aws = deps.aws;
  if (aws === null) return { kind: 'absent' };
  try {
    const ec2 = aws.ec2For(scope.account, scope.region);
    const hit = await vpcIn(ec2, kind, id);
    if (hit === undefined) return { kind: 'absent' };
    const state =
      hit.vpcId === null
        ? { subnets: [], routeTables: [], networkAcls: [] }
        : await ec2.describeNetwork(hit.vpcId);
    return { kind: 'found', vpcId: hit.vpcId, state, at: deps.now() };
  } catch (error) {
    return { kind: 'failed', problem: awsProblem(error) };
  }
}

/** The newest snapshot holding the resource, searched in `scopes`; `null` when none does. */
async function fromSnapshot(
  id: string,
  scopes: readonly AwsScope[],
  deps: LookupDeps,
): Promise<LocatedNetwork | null> {
  const topology = deps.topology;
  if (topology === null) return null;
  for (const scope of scopes) {
    const vpcId = await topology.vpcOf(scope.account, scope.region, id);
    if (vpcId === null) continue;
    const snapshot = await topology.latestSnapshot({ ...scope, vpcId });
    if (snapshot === null) continue;
    return {
      scope,
      vpcId,
      state: snapshot.state,
      fetchedAt: snapshot.fetchedAt,
      source: 'snapshot',
      notes: [],
    };
  }
  return null;
}

/** Finds a resource and reads its VPC; never throws for AWS problems, only for Redis. */
export async function locateNetwork(
  kind: NetworkKind,
  id: string,
  region: string | null,
  deps: LookupDeps,
): Promise<LocateResult> {
  const scopes = await candidateScopes(id, region, deps);
  const notes: string[] = [];
  if (deps.aws !== null) {
    for (let i = 0; i < scopes.length; i += PARALLEL_SCOPES) {
      const batch = scopes.slice(i, i + PARALLEL_SCOPES);
      const probes = await Promise.all(batch.map((scope) => probe(scope, kind, id, deps)));
      for (const [j, result] of probes.entries()) {
        const scope = batch[j];
        if (scope === undefined) continue;
        if (result.kind === 'failed') notes.push(`${scopeText(scope)} could not be read: ${result.problem}`);
        if (result.kind === 'found') {
          return {
            ok: true,
            found: {
              scope,
              vpcId: result.vpcId,
              state: result.state,
              fetchedAt: result.at.toISOString(),
              source: 'ec2',
              notes,
            },
          };
        }
      }
    }
  }
  const snapshot = await fromSnapshot(id, scopes, deps);
  if (snapshot) {
    const why = deps.aws === null ? 'netwarden has no AWS access configured' : 'EC2 could not be read';
    return {
      ok: true,
      found: { ...snapshot, notes: [...notes, `Not live: ${why}; this is netwarden's snapshot.`] },
    };
  }
  if (deps.aws === null) {
    return {
      ok: false,
      reason: 'netwarden has no AWS access configured, so it cannot read live network state.',
      notes,
    };
  }
  if (scopes.length === 0) {
    return {
      ok: false,
      reason:
        'netwarden does not know which region to search: give the region, e.g. eu-west-1, or set AWS_REGION (or aws.regions) for the bot.',
      notes,
    };
  }
  const searched = scopes.map(scopeText);
  return {
    ok: false,
    reason: `${id} was not found in ${searched.length <= 4 ? searched.join(', ') : `${searched.length} account/region pairs`}.${region === null ? ' If it lives elsewhere, add its region.' : ''}`,
    notes,
  };
}

/** Where the answer's state came from, as the builders show it. */
export function placeOf(found: LocatedNetwork): Place {
  return {
    account: found.scope.account,
    region: found.scope.region,
    vpcId: found.vpcId,
    source: found.source,
    fetchedAt: found.fetchedAt,
  };
}

/** Recent changes shown under a looked-up resource. */
export const RECENT_CHANGES = 5;

/**
 * The shared shape of the `rtb` and `acl` look-ups: locate the resource and its VPC, and its recent
 * changes, at the same time; answer "not found" with those changes when it cannot be read, else
 * hand the resource to `answer`.
 */
export async function lookUpResource<T>(
  lookup: {
    kind: Exclude<NetworkKind, 'subnet' | 'instance'>;
    id: string;
    region: string | null;
    noun: string;
    find: (state: LocatedNetwork['state'], id: string) => T | undefined;
  },
  deps: LookupDeps,
  answer: (found: LocatedNetwork, item: T, recent: StoredChange[]) => SlackMessage,
): Promise<SlackMessage> {
  const [located, recent] = await Promise.all([
    locateNetwork(lookup.kind, lookup.id, lookup.region, deps),
    deps.store.changesForResource(lookup.id, RECENT_CHANGES),
  ]);
  const item = located.ok ? lookup.find(located.found.state, lookup.id) : undefined;
  if (!located.ok || item === undefined) {
    return buildNotFound({
      noun: lookup.noun,
      id: lookup.id,
      reason: located.ok ? `${lookup.id} is not in the state read.` : located.reason,
      recent,
      notes: located.ok ? located.found.notes : located.notes,
    });
  }
  return answer(located.found, item, recent);
}
