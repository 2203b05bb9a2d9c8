/**
 * A severity for a security group rule when the exposure verdict cannot be reached because the
 * snapshot lacks what a gate needs (no snapshot, or one without security groups and interfaces).
 * It judges only what the rule opens, after the AWS Foundational Security Best Practices
 * controls for security groups (https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html):
 * EC2.13/EC2.14 (SSH 22, RDP 3389 open to 0.0.0.0/0 or ::/0), EC2.19 (unrestricted access to
 * high-risk ports, databases among them) and EC2.18 (unrestricted access to ports other than
 * 80 and 443), and names the gates nobody checked, so the reader knows it is not a verdict.
 */
import type { PortRange } from '../change.js';
import { addressRange, isEverywhere } from '../risk/addresses.js';
import { publicAddressesOf } from '../risk/public-space.js';
import { compareSeverity, type Severity } from '../risk/severity.js';
import {
  knownPrefixList,
  type NetworkState,
  prefixListUnknownWhy,
  type SecurityGroupRuleState,
} from '../state.js';
import { GATES, type Gate } from './types.js';
import { gateName } from './words.js';

const CONTROLS = 'https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html';

/** The high-risk ports of FSBP EC2.19, SSH (EC2.13) and RDP (EC2.14) among them, with what runs there. */
export const HIGH_RISK_PORTS: Readonly<Record<number, string>> = {
  20: 'FTP data',
  21: 'FTP',
  22: 'SSH',
  23: 'Telnet',
  25: 'SMTP',
  110: 'POP3',
  135: 'RPC',
  143: 'IMAP',
  445: 'SMB',
  1433: 'SQL Server',
  1434: 'SQL Server',
  3000: 'web development servers',
  3306: 'MySQL',
  3389: 'RDP',
  4333: 'mSQL',
  5000: 'web development servers',
  5432: 'PostgreSQL',
  5500: 'VNC',
  5601: 'Kibana/OpenSearch Dashboards',
  8080: 'HTTP proxies',
  8088: 'HTTP proxies',
  8888: 'HTTP proxies',
  9200: 'Elasticsearch/OpenSearch',
  9300: 'Elasticsearch/OpenSearch',
};

/** Ports EC2.18 accepts open to everyone by default. */
const AUTHORISED_PORTS: readonly number[] = [80, 443];

/** What a rule opens: the parts of a security group rule the fallback reads. */
export type OpenedRule = Pick<SecurityGroupRuleState, 'egress' | 'protocol' | 'ports' | 'peer'>;

export interface FallbackJudgement {
  severity: Severity;
  reason: string;
  /** The gates that were not checked: the rule may be reachable, or stopped by any of them. */
  unchecked: Gate[];
  /** The FSBP control(s) the severity follows, when one applies. */
  references: string[];
}

/** The gates a state cannot judge: all of them without a state, the security groups without their data. */
export function uncheckedGates(state: NetworkState | null): Gate[] {
  if (state === null) return [...GATES];
  return state.securityGroups === undefined || state.networkInterfaces === undefined ? ['sg'] : [];
}

function portsOpened(rule: OpenedRule): PortRange | null {
  const protocol = rule.protocol.number;
  if (protocol === -1) return { from: 0, to: 65535 };
  if (protocol === 6) return rule.ports ?? { from: 0, to: 65535 };
  return null;
}

function covered(range: PortRange): string[] {
  return Object.entries(HIGH_RISK_PORTS)
    .filter(([port]) => range.from <= Number(port) && Number(port) <= range.to)
    .map(([port, name]) => `${port} (${name})`);
}

/**
 * The severity of what `rule` opens, judged without the gates in `unchecked`. A rule naming a
 * prefix list whose entries `state` holds is judged as the worst of its entries, each like a rule
 * naming that CIDR; without them it is medium, as nobody can tell what it admits.
 */
export function unknownFallbackSeverity(
  rule: OpenedRule,
  unchecked: readonly Gate[],
  state: NetworkState | null = null,
): FallbackJudgement {
  const gates = [...unchecked];
  const judged = (severity: Severity, reason: string, references: string[] = []): FallbackJudgement => {
    const names = gates.map(gateName).join(', ');
    return {
      severity,
      reason: gates.length > 0 ? `${reason}; not checked: ${names}` : reason,
      unchecked: gates,
      references,
    };
  };
  if (rule.egress) return judged('info', 'an outbound rule lets nothing in from the internet');
  const peer = rule.peer;
  if (peer.kind === 'group')
    return judged('info', `the rule admits members of ${peer.groupId}, not the internet`);
  if (peer.kind === 'prefix-list') {
    const list = state === null ? null : knownPrefixList(state, peer.prefixListId);
    if (list === null) {
      const why = state === null ? 'no snapshot' : prefixListUnknownWhy(state, peer.prefixListId);
      return judged(
        'medium',
        `the rule admits prefix list ${peer.prefixListId}, whose entries are not known (${why})`,
      );
    }
    const [worst] = list.cidrs
      .map((cidr) => ({
        cidr,
        judgement: unknownFallbackSeverity({ ...rule, peer: { kind: 'cidr', cidr } }, []),
      }))
      .sort((a, b) => compareSeverity(a.judgement.severity, b.judgement.severity));
    if (worst === undefined) {
      return judged('info', `the rule admits prefix list ${peer.prefixListId}, which has no entries`);
    }
    return judged(
      worst.judgement.severity,
      `the rule admits prefix list ${peer.prefixListId}, which holds ${worst.cidr.cidr}: ${worst.judgement.reason}`,
      worst.judgement.references,
    );
  }
  if (!isEverywhere(peer.cidr)) {
    const range = addressRange(peer.cidr);
    return publicAddressesOf(range.version, [range]) > 0n
      ? judged('low', `the rule admits ${peer.cidr.cidr}, part of the internet`)
      : judged('info', `the rule admits ${peer.cidr.cidr}, which holds no public address`);
  }
  const ports = portsOpened(rule);
  const risky = ports ? covered(ports) : [];
  if (risky.length > 0) {
    const ids = risky.some((p) => p.startsWith('22 ')) ? ['ec2-13'] : [];
    if (risky.some((p) => p.startsWith('3389 '))) ids.push('ec2-14');
    ids.push('ec2-19');
    return judged(
      'high',
      `the rule opens ${risky.length > 3 ? `${risky.slice(0, 3).join(', ')} and ${risky.length - 3} more high-risk ports` : risky.join(', ')} to ${peer.cidr.cidr}`,
      ids.map((id) => `${CONTROLS}#${id}`),
    );
  }
  const onlyAuthorised =
    rule.protocol.number === 6 &&
    rule.ports !== null &&
    AUTHORISED_PORTS.some((p) => rule.ports?.from === p && rule.ports.to === p);
  if (onlyAuthorised) return judged('low', `the rule opens tcp ${rule.ports?.from} to ${peer.cidr.cidr}`);
  return judged('medium', `the rule opens traffic other than HTTP/HTTPS to ${peer.cidr.cidr}`, [
    `${CONTROLS}#ec2-18`,
  ]);
}
