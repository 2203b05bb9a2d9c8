/**
 * Wraps a CloudTrail record the way each delivery path does, so one record can be sent through
 * every envelope. Shapes follow the real envelopes in test/fixtures/envelopes/.
 */
type Json = Record<string, unknown>;

/** An EventBridge "AWS API Call via CloudTrail" event (see eventbridge-aws-ec2__cloud-custodian.json). */
export function asEventBridge(record: Json): Json {
  return {
    version: '0',
    id: `eb-${typeof record.eventID === 'string' ? record.eventID : 'unknown'}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: record.recipientAccountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}

/** A CloudTrail log file as delivered to S3 (see cloudtrail-log-file__invictus.json). */
export function asLogFile(records: Json[]): Json {
  return { Records: records };
}

/** `aws cloudtrail lookup-events` output: the record travels as a JSON string. */
export function asLookupEvents(records: Json[]): Json {
  return {
    Events: records.map((record) => ({
      EventId: record.eventID,
      EventName: record.eventName,
      ReadOnly: 'false',
      EventTime: record.eventTime,
      EventSource: record.eventSource,
      Resources: [],
      CloudTrailEvent: JSON.stringify(record),
    })),
  };
}
