/**
 * AWS region codes a look-up accepts. The list is the AWS SDK's own partition table
 * (`@aws-sdk/core` 3.x, `util-endpoints/lib/aws/partitions.js`: the commercial, China, GovCloud,
 * ISO and European Sovereign Cloud partitions). A region missing here — one launched after this
 * list was copied — is still accepted when it is configured (`aws.regions`, `aws.accounts.*.regions`).
 */
export const KNOWN_REGIONS: ReadonlySet<string> = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-central-1',
  'eu-central-2',
  'eu-isoe-west-1',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eusc-de-east-1',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'me-west-1',
  'mx-central-1',
  'sa-east-1',
  'sa-west-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-iso-east-1',
  'us-iso-west-1',
  'us-isob-east-1',
  'us-isob-west-1',
  'us-isof-east-1',
  'us-isof-south-1',
  'us-west-1',
  'us-west-2',
]);

/** The shape of a region code (`eu-west-1`); a word of this shape is meant as a region. */
export const REGION_SHAPE = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

/** True when `region` is a known AWS region or one of the `configured` ones. */
export function isKnownRegion(region: string, configured: readonly string[] = []): boolean {
  return KNOWN_REGIONS.has(region) || configured.includes(region);
}
