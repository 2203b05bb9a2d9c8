/**
 * What a subnet, route table or network ACL is effectively exposed to right now, judged by the risk
 * engine's own rules (docs/risk-rules.md) rather than a second set: the current state is fed to
 * them as if everything in it had just been added to an empty table or an ACL that denied
 * everything, so each rule that lets untrusted traffic through, and each route to the internet, a
 * peering, a transit gateway or an appliance, becomes one finding with the engine's severity.
 * Only network ACLs and routes are judged; security groups are another layer and not read.
 */
import { aclSituationFindings } from '../src/domain/risk/acl-rules.js';
import type { Finding } from '../src/domain/risk/index.js';
import { compareSeverity, type RiskPolicy } from '../src/domain/risk/index.js';
import { routeSituationFindings } from '../src/domain/risk/route-rules.js';
import { subnetsUsingAcl, subnetsUsingRouteTable } from '../src/domain/risk/topology.js';
import type { NetworkAclState, NetworkState, RouteTableState, SubnetState } from '../src/domain/state.js';

/*
 * Findings that only describe a difference, which a state on its own does not have: the
 * before → after summary, and lost routes (none can be lost from an empty start).
 */
const CHANGE_ONLY: ReadonlySet<string> = new Set(['acl.effective-exposure', 'route.default-route-removed']);

function ordered(findings: readonly Finding[]): Finding[] {
  return findings
    .filter((f) => !CHANGE_ONLY.has(f.id))
    .sort((a, b) => compareSeverity(a.severity, b.severity));
}

/** What the ACL's entries let in from, and out to, untrusted addresses, for the subnets given. */
export function aclExposure(
  acl: NetworkAclState,
  subnets: readonly SubnetState[],
  policy: RiskPolicy,
): Finding[] {
  return ordered(
    aclSituationFindings(
      {
        aclId: acl.networkAclId,
        beforeAclId: null,
        before: [],
        after: acl.entries,
        afterComplete: true,
        changed: null,
        directions: [false, true],
        subnets,
      },
      policy,
    ),
  );
}

/** Where the table's routes lead that the rules care about, for the subnets given. */
export function routeExposure(
  table: RouteTableState,
  subnets: readonly SubnetState[],
  state: NetworkState,
  policy: RiskPolicy,
): Finding[] {
  return ordered(
    routeSituationFindings(
      {
        routeTableId: table.routeTableId,
        beforeTableId: null,
        before: null,
        after: table.routes,
        subnets,
        tableTags: table.tags,
      },
      state,
      policy,
    ),
  );
}

/** A subnet's exposure: its route table's routes and its ACL's entries, most severe first. */
export function subnetExposure(
  subnet: SubnetState,
  table: RouteTableState | null,
  acl: NetworkAclState | null,
  state: NetworkState,
  policy: RiskPolicy,
): Finding[] {
  return ordered([
    ...(table ? routeExposure(table, [subnet], state, policy) : []),
    ...(acl ? aclExposure(acl, [subnet], policy) : []),
  ]);
}

/** A route table's exposure for every subnet it serves (a main table: also those without their own). */
export function tableExposure(table: RouteTableState, state: NetworkState, policy: RiskPolicy): Finding[] {
  return routeExposure(table, subnetsUsingRouteTable(state, table), state, policy);
}

/** An ACL's exposure for every subnet it filters. */
export function networkAclExposure(acl: NetworkAclState, state: NetworkState, policy: RiskPolicy): Finding[] {
  return aclExposure(acl, subnetsUsingAcl(state, acl), policy);
}
