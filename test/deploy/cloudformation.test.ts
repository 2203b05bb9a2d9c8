// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here is CloudFormation Fn::Sub syntax, not JavaScript.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CollectionTag, parseDocument, type ScalarTag } from 'yaml';

type Json = Record<string, unknown>;

const DEPLOY = new URL('../../deploy/', import.meta.url);

function deployText(name: string): string {
  return readFileSync(new URL(name, DEPLOY), 'utf8');
}

/**
 * CloudFormation's YAML short forms (`!Ref X`, `!GetAtt R.Attr`, `!If [...]`…) become the JSON
 * forms (`{Ref: X}`, `{'Fn::GetAtt': [R, Attr]}`, `{'Fn::If': [...]}`), as CloudFormation reads them.
 */
const FUNCTIONS = [
  'Sub',
  'GetAtt',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Join',
  'Select',
  'Split',
  'FindInMap',
];
const CFN_TAGS: (ScalarTag | CollectionTag)[] = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) },
  ...FUNCTIONS.flatMap((name): (ScalarTag | CollectionTag)[] => {
    const key = `Fn::${name}`;
    return [
      {
        tag: `!${name}`,
        resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }),
      },
      { tag: `!${name}`, collection: 'seq', resolve: (seq) => ({ [key]: seq.toJSON() }) },
      { tag: `!${name}`, collection: 'map', resolve: (map) => ({ [key]: map.toJSON() }) },
    ];
  }),
];

/** Parses YAML with the CloudFormation tags; any error or warning (an unknown tag too) fails. */
function parseCfnYaml(text: string, name: string): unknown {
  const doc = parseDocument(text, { customTags: CFN_TAGS, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
  if (problems.length > 0) throw new Error(`${name}: ${problems.join('; ')}`);
  return doc.toJS();
}

interface Resource {
  Type: string;
  Condition?: string;
  Properties?: Json;
}
interface Template {
  Parameters?: Record<string, Json>;
  Conditions?: Json;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, Json>;
}

function template(name: string): Template {
  return parseCfnYaml(deployText(name), name) as Template;
}

const TEMPLATES = ['cloudformation.yml', 'sns-subscription.yml', 'organization.yml'];
const pattern = JSON.parse(deployText('eventbridge-rule-pattern.json')) as Json;
const policy = JSON.parse(deployText('iam-policy.json')) as { Statement: Statement[] };

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
}

const actionsOf = (s: Statement) => [s.Action].flat().sort();

/** Every node of a JSON tree, depth first, with its path. */
function* walk(node: unknown, path: string[] = []): Generator<[unknown, string[]]> {
  yield [node, path];
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* walk(child, [...path, String(i)]);
  } else if (typeof node === 'object' && node !== null) {
    for (const [key, child] of Object.entries(node)) yield* walk(child, [...path, key]);
  }
}

const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::NotificationARNs',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

/**
 * Properties per resource type, from the CloudFormation resource provider schemas (as vendored in
 * aws-cloudformation/cfn-lint, src/cfnlint/data/schemas/providers/us_east_1/). A misspelt property
 * fails here instead of at deploy time.
 */
const PROPERTIES: Record<string, string[]> = {
  'AWS::Events::Connection': [
    'AuthParameters',
    'AuthorizationType',
    'Description',
    'InvocationConnectivityParameters',
    'KmsKeyIdentifier',
    'Name',
  ],
  'AWS::Events::ApiDestination': [
    'ConnectionArn',
    'Description',
    'HttpMethod',
    'InvocationEndpoint',
    'InvocationRateLimitPerSecond',
    'Name',
  ],
  'AWS::Events::Rule': [
    'Description',
    'EventBusName',
    'EventPattern',
    'Name',
    'RoleArn',
    'ScheduleExpression',
    'State',
    'Targets',
  ],
  'AWS::Events::EventBus': [
    'DeadLetterConfig',
    'Description',
    'EventSourceName',
    'KmsKeyIdentifier',
    'Name',
    'Policy',
    'Tags',
  ],
  'AWS::Events::EventBusPolicy': [
    'Action',
    'Condition',
    'EventBusName',
    'Principal',
    'Statement',
    'StatementId',
  ],
  'AWS::SQS::Queue': [
    'DelaySeconds',
    'KmsMasterKeyId',
    'MessageRetentionPeriod',
    'QueueName',
    'SqsManagedSseEnabled',
    'Tags',
    'VisibilityTimeout',
  ],
  'AWS::SQS::QueuePolicy': ['PolicyDocument', 'Queues'],
  'AWS::SNS::Topic': ['DisplayName', 'KmsMasterKeyId', 'Tags', 'TopicName'],
  'AWS::SNS::TopicPolicy': ['PolicyDocument', 'Topics'],
  'AWS::SNS::Subscription': [
    'DeliveryPolicy',
    'Endpoint',
    'FilterPolicy',
    'FilterPolicyScope',
    'Protocol',
    'RawMessageDelivery',
    'RedrivePolicy',
    'Region',
    'SubscriptionRoleArn',
    'TopicArn',
  ],
  'AWS::IAM::Role': [
    'AssumeRolePolicyDocument',
    'Description',
    'ManagedPolicyArns',
    'MaxSessionDuration',
    'Path',
    'PermissionsBoundary',
    'Policies',
    'RoleName',
    'Tags',
  ],
  'AWS::IAM::InstanceProfile': ['InstanceProfileName', 'Path', 'Roles'],
  'AWS::CloudWatch::Alarm': [
    'ActionsEnabled',
    'AlarmActions',
    'AlarmDescription',
    'AlarmName',
    'ComparisonOperator',
    'DatapointsToAlarm',
    'Dimensions',
    'EvaluationPeriods',
    'MetricName',
    'Namespace',
    'OKActions',
    'Period',
    'Statistic',
    'Threshold',
    'TreatMissingData',
  ],
};

/** AWS::Events::Rule Target, RetryPolicy and DeadLetterConfig (same schema source). */
const TARGET_PROPERTIES = [
  'Arn',
  'DeadLetterConfig',
  'HttpParameters',
  'Id',
  'Input',
  'InputPath',
  'RetryPolicy',
  'RoleArn',
];

/** What each template refers to that it does not define: none of it may be unresolved. */
function unresolvedReferences(t: Template): string[] {
  const names = new Set([...Object.keys(t.Parameters ?? {}), ...Object.keys(t.Resources)]);
  const conditions = new Set(Object.keys(t.Conditions ?? {}));
  const problems: string[] = [];
  const known = (name: string) => names.has(name) || PSEUDO.has(name);
  for (const [node, path] of walk(t)) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
    const at = path.join('.');
    const n = node as Json;
    if (typeof n.Ref === 'string' && !known(n.Ref)) problems.push(`${at}: Ref ${n.Ref}`);
    if (typeof n.Condition === 'string' && path.includes('Conditions') && !conditions.has(n.Condition)) {
      problems.push(`${at}: Condition ${n.Condition}`);
    }
    const getAtt = n['Fn::GetAtt'];
    if (Array.isArray(getAtt) && !(String(getAtt[0]) in t.Resources))
      problems.push(`${at}: GetAtt ${getAtt[0]}`);
    const fnIf = n['Fn::If'];
    if (Array.isArray(fnIf) && !conditions.has(String(fnIf[0]))) problems.push(`${at}: If ${fnIf[0]}`);
    const sub = n['Fn::Sub'];
    const subText = typeof sub === 'string' ? sub : Array.isArray(sub) ? String(sub[0]) : undefined;
    const subVars = Array.isArray(sub) ? Object.keys((sub[1] ?? {}) as Json) : [];
    for (const [, variable] of subText?.matchAll(/\$\{([^!}][^}]*)\}/g) ?? []) {
      const name = String(variable).split('.')[0] ?? '';
      if (!known(name) && !subVars.includes(name)) problems.push(`${at}: Sub \${${variable}}`);
    }
  }
  for (const [id, resource] of Object.entries(t.Resources)) {
    if (resource.Condition !== undefined && !conditions.has(resource.Condition)) {
      problems.push(`Resources.${id}.Condition ${resource.Condition}`);
    }
  }
  for (const [id, output] of Object.entries(t.Outputs ?? {})) {
    if (typeof output.Condition === 'string' && !conditions.has(output.Condition)) {
      problems.push(`Outputs.${id}.Condition ${output.Condition}`);
    }
  }
  return problems;
}

function resourcesOfType(t: Template, type: string): [string, Resource][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** The only resource of a type, as [logical id, resource]; throws when there is not exactly one. */
function theOne(t: Template, type: string): [string, Resource] {
  const all = resourcesOfType(t, type);
  const [first] = all;
  if (all.length !== 1 || first === undefined) throw new Error(`expected one ${type}, found ${all.length}`);
  return first;
}

/** A resource's Properties (throws when it has none). */
function propertiesOf(resource: Resource | undefined, id = 'resource'): Json {
  if (resource?.Properties === undefined) throw new Error(`${id} has no Properties`);
  return resource.Properties;
}

function targetsOf(rule: Resource | undefined): Json[] {
  return propertiesOf(rule, 'rule').Targets as Json[];
}

function policyStatements(resource: Resource | undefined, key: string): Json[] {
  return (propertiesOf(resource)[key] as { Statement: Json[] }).Statement;
}

function statementsOf(role: Resource): Statement[] {
  const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

function sids(statements: Statement[]): Record<string, string[]> {
  return Object.fromEntries(statements.map((s) => [s.Sid ?? '', actionsOf(s)]));
}

describe('deploy/: every JSON and YAML file parses', () => {
  const files = readdirSync(DEPLOY).filter((f) => /\.(json|ya?ml)$/.test(f));

  it('covers the files this kit ships', () => {
    expect(files).toEqual(
      expect.arrayContaining(['eventbridge-rule-pattern.json', 'iam-policy.json', ...TEMPLATES]),
    );
  });

  it.each(files)('%s', (name) => {
    const text = deployText(name);
    const value = name.endsWith('.json') ? JSON.parse(text) : parseCfnYaml(text, name);
    expect(typeof value).toBe('object');
  });
});

describe.each(TEMPLATES)('deploy/%s', (name) => {
  const t = template(name);

  it('is a CloudFormation template whose references all resolve', () => {
    expect((t as unknown as Json).AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(unresolvedReferences(t)).toEqual([]);
  });

  it('uses only properties the resource types have', () => {
    for (const [id, resource] of Object.entries(t.Resources)) {
      const allowed = PROPERTIES[resource.Type];
      expect(allowed, `${id}: ${resource.Type} is not in the checked list`).toBeDefined();
      for (const key of Object.keys(resource.Properties ?? {})) {
        expect(allowed, `${id}.Properties.${key}`).toContain(key);
      }
    }
    for (const [id, rule] of resourcesOfType(t, 'AWS::Events::Rule')) {
      for (const target of targetsOf(rule)) {
        for (const key of Object.keys(target))
          expect(TARGET_PROPERTIES, `${id} target ${key}`).toContain(key);
        expect(Object.keys(target.RetryPolicy as Json).sort()).toEqual([
          'MaximumEventAgeInSeconds',
          'MaximumRetryAttempts',
        ]);
        expect(Object.keys(target.DeadLetterConfig as Json)).toEqual(['Arn']);
      }
    }
  });

  it('keeps secrets out of the stack description (NoEcho)', () => {
    for (const [param, spec] of Object.entries(t.Parameters ?? {})) {
      if (/token|externalid/i.test(param)) expect(spec.NoEcho, param).toBe(true);
    }
  });

  it('routes exactly deploy/eventbridge-rule-pattern.json, with retries and a dead-letter queue', () => {
    const rules = resourcesOfType(t, 'AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [id, rule] of rules) {
      expect(rule.Properties?.EventPattern, id).toEqual(pattern);
      expect(rule.Properties?.State, id).toBe('ENABLED');
      const [target, ...others] = targetsOf(rule);
      expect(others).toEqual([]);
      if (target === undefined) throw new Error(`${id} has no target`);
      const deadLetters = target.DeadLetterConfig as { Arn: { 'Fn::GetAtt': string[] } };
      const queue = deadLetters.Arn['Fn::GetAtt'][0] ?? '';
      expect(t.Resources[queue]?.Type).toBe('AWS::SQS::Queue');
      // EventBridge may write to that queue, and only for this rule.
      const grants = resourcesOfType(t, 'AWS::SQS::QueuePolicy').flatMap(([, p]) =>
        policyStatements(p, 'PolicyDocument').filter(
          (s) =>
            (s.Principal as Json).Service === 'events.amazonaws.com' &&
            JSON.stringify(s.Condition) ===
              JSON.stringify({ ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id, 'Arn'] } } }),
        ),
      );
      expect(grants, `${id}: queue policy for its dead letters`).toHaveLength(1);
    }
  });
});

describe('deploy/cloudformation.yml', () => {
  const t = template('cloudformation.yml');
  const r = t.Resources;

  it('sends the token as "Authorization: Bearer <token>" through an API key connection', () => {
    const [, connection] = theOne(t, 'AWS::Events::Connection');
    expect(connection.Properties).toMatchObject({
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyName: 'Authorization',
          ApiKeyValue: { 'Fn::Sub': 'Bearer ${IngestToken}' },
        },
      },
    });
    expect(t.Parameters?.IngestToken).toMatchObject({ NoEcho: true, MinLength: 16 });
  });

  it('posts to https://<host>/aws/events with a rate limit, through the connection', () => {
    const [id, destination] = theOne(t, 'AWS::Events::ApiDestination');
    expect(destination.Properties).toMatchObject({
      ConnectionArn: { 'Fn::GetAtt': ['IngestConnection', 'Arn'] },
      InvocationEndpoint: { 'Fn::Sub': 'https://${NetwardenHost}/aws/events' },
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: { Ref: 'InvocationRateLimitPerSecond' },
    });
    const [target] = targetsOf(r.NetworkChangeRule);
    expect(target).toMatchObject({
      Arn: { 'Fn::GetAtt': [id, 'Arn'] },
      RoleArn: { 'Fn::GetAtt': ['DeliveryRole', 'Arn'] },
    });
    expect(propertiesOf(r.NetworkChangeRule).EventBusName).toEqual({ Ref: 'EventBusName' });
  });

  it('lets EventBridge invoke only that API destination', () => {
    const statements = statementsOf(r.DeliveryRole as Resource);
    expect(statements.map(actionsOf)).toEqual([['events:InvokeApiDestination']]);
    expect(JSON.stringify(statements[0]?.Resource)).toContain('api-destination/${IngestDestination}');
  });

  it("gives netwarden's role exactly the statements and actions of deploy/iam-policy.json", () => {
    const role = r.NetwardenRole as Resource;
    expect(role.Condition).toBe('CreateRole');
    expect(sids(statementsOf(role))).toEqual(sids(policy.Statement));
    expect(statementsOf(role).every((s) => s.Effect === 'Allow')).toBe(true);
    expect(
      JSON.stringify(statementsOf(role).find((s) => s.Sid === 'AssumeMemberAccountRoles')?.Resource),
    ).toContain(':iam::*:role/netwarden');
    expect(t.Parameters?.NetwardenRoleName?.Default).toBe('netwarden');
  });
});

describe('deploy/sns-subscription.yml', () => {
  const t = template('sns-subscription.yml');

  it('subscribes https://sns:<token>@<host>/aws/events to the topic the rule publishes to, signed', () => {
    const [, subscription] = theOne(t, 'AWS::SNS::Subscription');
    expect(subscription.Properties).toMatchObject({
      TopicArn: { Ref: 'Topic' },
      Protocol: 'https',
      Endpoint: { 'Fn::Sub': 'https://sns:${IngestToken}@${NetwardenHost}/aws/events' },
      RawMessageDelivery: false,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
    });
    expect(targetsOf(t.Resources.NetworkChangeRule)[0]?.Arn).toEqual({ Ref: 'Topic' });
    // The token sits in a URL: only characters that need no escaping there.
    expect(t.Parameters?.IngestToken?.AllowedPattern).toBe('^[A-Za-z0-9._~-]+$');
  });

  it('keeps the HTTP/S retry policy within SNS limits (3,600 s in total)', () => {
    const [, subscription] = theOne(t, 'AWS::SNS::Subscription');
    const p = (propertiesOf(subscription).DeliveryPolicy as { healthyRetryPolicy: Record<string, number> })
      .healthyRetryPolicy;
    const backoff =
      (p.numRetries ?? 0) -
      (p.numNoDelayRetries ?? 0) -
      (p.numMinDelayRetries ?? 0) -
      (p.numMaxDelayRetries ?? 0);
    expect(backoff).toBeGreaterThanOrEqual(0);
    // Upper bound: every backoff retry at the maximum delay.
    const worst =
      (p.numMinDelayRetries ?? 0) * (p.minDelayTarget ?? 0) +
      (backoff + (p.numMaxDelayRetries ?? 0)) * (p.maxDelayTarget ?? 0);
    expect(worst).toBeLessThanOrEqual(3600);
  });

  it('lets EventBridge publish to the topic for this rule only', () => {
    const [, topicPolicy] = theOne(t, 'AWS::SNS::TopicPolicy');
    expect(policyStatements(topicPolicy, 'PolicyDocument')).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['NetworkChangeRule', 'Arn'] } } },
      }),
    ]);
  });
});

describe('deploy/organization.yml', () => {
  const t = template('organization.yml');
  const r = t.Resources;
  const busArn = {
    'Fn::Sub': 'arn:${AWS::Partition}:events:${CentralRegion}:${CentralAccountId}:event-bus/${EventBusName}',
  };

  it('lets only the organisation put events on the central bus', () => {
    expect(r.CentralEventBus).toMatchObject({
      Condition: 'IsCentral',
      Properties: { Name: { Ref: 'EventBusName' } },
    });
    expect(r.CentralEventBusPolicy?.Properties).toMatchObject({
      EventBusName: { Ref: 'CentralEventBus' },
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': ['CentralEventBus', 'Arn'] },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } } },
      },
    });
  });

  it('forwards member events to that bus with a role that may put events there and nowhere else', () => {
    const [target] = targetsOf(r.ForwardRule);
    expect(target).toMatchObject({ Arn: busArn, RoleArn: { 'Fn::GetAtt': ['ForwardRole', 'Arn'] } });
    // The default bus, where CloudTrail delivers.
    expect(propertiesOf(r.ForwardRule).EventBusName).toBeUndefined();
    const statements = statementsOf(r.ForwardRole as Resource);
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }]);
  });

  it('creates the member role "netwarden": deploy/iam-policy.json minus AssumeMemberAccountRoles', () => {
    const role = r.MemberRole as Resource;
    expect(role.Condition).toBe('CreateMemberRole');
    expect(role.Properties?.RoleName).toBe('netwarden');
    const expected = policy.Statement.filter((s) => s.Sid !== 'AssumeMemberAccountRoles');
    expect(sids(statementsOf(role))).toEqual(sids(expected));
    expect(statementsOf(role).flatMap(actionsOf)).not.toContain('sts:AssumeRole');
    // The central role from deploy/cloudformation.yml may assume exactly this name.
    const central = statementsOf(template('cloudformation.yml').Resources.NetwardenRole as Resource);
    const assumable = JSON.stringify(central.find((s) => s.Sid === 'AssumeMemberAccountRoles')?.Resource);
    expect(assumable).toMatch(new RegExp(`role/${role.Properties?.RoleName}"`));
  });

  it('trusts the central netwarden role by default, with an optional external id', () => {
    const trust = policyStatements(r.MemberRole, 'AssumeRolePolicyDocument');
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Principal: {
          AWS: {
            'Fn::If': [
              'HasPrincipal',
              { Ref: 'NetwardenPrincipalArn' },
              { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${CentralAccountId}:role/netwarden' },
            ],
          },
        },
        Action: 'sts:AssumeRole',
        Condition: {
          'Fn::If': [
            'HasExternalId',
            { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
            { Ref: 'AWS::NoValue' },
          ],
        },
      },
    ]);
  });

  it('creates the global role once: in RoleRegion, in member accounts other than the central one', () => {
    expect(t.Conditions?.CreateMemberRole).toEqual({
      'Fn::And': [
        { Condition: 'IsMember' },
        { Condition: 'InRoleRegion' },
        { 'Fn::Not': [{ Condition: 'InCentralAccount' }] },
      ],
    });
    // Conditions may only use Ref, Fn::FindInMap and condition functions.
    const allowed = new Set([
      'Ref',
      'Condition',
      'Fn::FindInMap',
      'Fn::And',
      'Fn::Or',
      'Fn::Not',
      'Fn::Equals',
    ]);
    for (const [node, path] of walk(t.Conditions)) {
      if (typeof node !== 'object' || node === null || Array.isArray(node) || path.length === 0) continue;
      for (const key of Object.keys(node))
        expect(allowed, `Conditions.${path.join('.')}.${key}`).toContain(key);
    }
  });
});

// cfn-lint (AWS's CloudFormation linter, Python) validates the templates against the resource
// specifications of every Region. It comes with this project's machines; where it is missing the
// checks above still run.
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });

describe.skipIf(cfnLint.status !== 0)('cfn-lint', () => {
  it('finds nothing in the templates, informational findings included', { timeout: 60_000 }, () => {
    const files = TEMPLATES.map((name) => fileURLToPath(new URL(name, DEPLOY)));
    const run = spawnSync('cfn-lint', ['--include-checks', 'I', '--', ...files], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });
});
