import { describe, expect, it } from 'vitest';
import { detectTool } from '../../src/domain/user-agent.js';

// User agents are quoted from genuine records and from the tools' own issue trackers.
const TERRAFORM_INVICTUS =
  'APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.157 (go1.19.3; linux; amd64) stratus-red-team_3a63b39c-6bcc-408c-a49e-7dfd92c3ef20 HashiCorp-terraform-exec/0.17.3';
// hashicorp/terraform#15770: older providers put the SDK first.
const TERRAFORM_2017 = 'aws-sdk-go/1.10.18 (go1.8; linux; amd64) APN/1.0 HashiCorp/1.0 Terraform/0.9.8';
// hashicorp/terraform-provider-awscc#247
const TERRAFORM_AWSCC =
  'APN/1.0 HashiCorp/1.0 Terraform/1.0.8 (+https://www.terraform.io) terraform-provider-awscc/dev (+https://registry.terraform.io/providers/hashicorp/awscc) my-test-module/0.0.1 (testing user-agent comment) aws-sdk-go-v2/1.9.1 os/macos lang/go/1.17 md/GOOS/darwin md/GOARCH/amd64 api/cloudcontrol/1.0.0';
// pulumi/pulumi-aws#1604 and #2190
const PULUMI_2021 =
  'APN/1.0 Pulumi/1.0 Pulumi-Aws/4.17.0-alpha.1629393364+0b9d696e.dirty (+https://www.pulumi.com) aws-sdk-go/1.40.20 (go1.16.4; darwin; amd64)';
const PULUMI_2022 =
  'APN/1.0 Pulumi/1.0 Pulumi/1.0 Pulumi-Aws/0.11+compatible (+https://www.pulumi.com) aws-sdk-go-v2/1.16.16 os/macos lang/go/1.19.1 md/GOOS/darwin md/GOARCH/amd64 api/sts/1.16.4';
const CLI_V2 =
  'aws-cli/2.17.60 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/grimoire_8de3a094-8de4-45be-a488-d6525555d1d0 cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#ec2.delete-network-acl-entry';
const CLI_V1 =
  'aws-cli/1.16.248 Python/3.4.7 Linux/4.9.184-0.1.ac.235.83.329.metal1.x86_64 botocore/1.12.239';

describe('detectTool', () => {
  it.each([
    [TERRAFORM_INVICTUS, 'terraform', 'Terraform/1.1.2'],
    [TERRAFORM_2017, 'terraform', 'Terraform/0.9.8'],
    [TERRAFORM_AWSCC, 'terraform', 'Terraform/1.0.8'],
    [
      'APN/1.0 HashiCorp/1.0 Terraform/ (+https://www.terraform.io) terraform-provider-aws/5.68.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.5',
      'terraform',
      'terraform-provider-aws/5.68.0',
    ],
    [PULUMI_2021, 'pulumi', 'Pulumi-Aws/4.17.0-alpha.1629393364+0b9d696e.dirty'],
    [PULUMI_2022, 'pulumi', 'Pulumi-Aws/0.11+compatible'],
    ['aws-cdk/2.150.0', 'cdk', 'aws-cdk/2.150.0'],
    [CLI_V2, 'aws-cli', 'aws-cli/2.17.60'],
    [CLI_V1, 'aws-cli', 'aws-cli/1.16.248'],
    ['Boto3/1.7.62 Python/2.7.12 Linux/4.4.0', 'sdk', 'Boto3/1.7.62'],
    ['botocore/1.29.0 Python/3.9.16 Linux/5.10', 'sdk', 'botocore/1.29.0'],
    ['[aws-sdk-go/1.1.0 (go1.5.2; darwin; amd64)]', 'sdk', 'aws-sdk-go/1.1.0'],
    ['aws-sdk-go-v2/1.16.16 os/linux lang/go/1.19.1', 'sdk', 'aws-sdk-go-v2/1.16.16'],
    [
      'aws-sdk-js/3.744.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.18.2 api/ec2#3.744.0',
      'sdk',
      'aws-sdk-js/3.744.0',
    ],
    ['aws-sdk-java', 'sdk', 'aws-sdk-java'],
    [
      'aws-sdk-dotnet-coreclr/3.7.300.2 aws-sdk-dotnet-core/3.7.300.2 .NET_Core/6.0',
      'sdk',
      'aws-sdk-dotnet-coreclr/3.7.300.2',
    ],
    ['console.ec2.amazonaws.com', 'console', 'console.ec2.amazonaws.com'],
    ['console.amazonaws.com', 'console', 'console.amazonaws.com'],
    ['signin.amazonaws.com', 'console', 'signin.amazonaws.com'],
    ['cloudformation.amazonaws.com', 'cloudformation', 'cloudformation.amazonaws.com'],
    ['autoscaling.amazonaws.com', 'aws-service', 'autoscaling.amazonaws.com'],
    ['AWS Internal', 'aws-service', 'AWS Internal'],
    ['stratus-red-team_c8ff220a-7e52-429b-868f-d979123ed2d3', 'unknown', null],
    ['Mozilla/2.0 (compatible; NEWT ActiveX; Win32)', 'unknown', null],
  ])('recognises %s', (userAgent, name, detail) => {
    expect(detectTool({ userAgent })).toEqual({ name, detail });
  });

  it('calls a change CloudFormation made with the caller identity CloudFormation, whatever else is said', () => {
    expect(detectTool({ userAgent: TERRAFORM_INVICTUS, invokedBy: 'cloudformation.amazonaws.com' })).toEqual({
      name: 'cloudformation',
      detail: 'cloudformation.amazonaws.com',
    });
    expect(detectTool({ sourceIPAddress: 'cloudformation.amazonaws.com' }).name).toBe('cloudformation');
  });

  it('takes a console session signed as AWS Internal or a browser for the console', () => {
    expect(detectTool({ userAgent: 'AWS Internal', sessionCredentialFromConsole: 'true' })).toEqual({
      name: 'console',
      detail: 'sessionCredentialFromConsole',
    });
    expect(
      detectTool({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', sessionCredentialFromConsole: true }).name,
    ).toBe('console');
  });

  it('keeps the CLI when it ran in CloudShell on console credentials', () => {
    expect(detectTool({ userAgent: CLI_V2, sessionCredentialFromConsole: 'true' }).name).toBe('aws-cli');
  });

  it('names the service a call was made by when nothing more specific is known', () => {
    expect(detectTool({ invokedBy: 'eks.amazonaws.com' })).toEqual({
      name: 'aws-service',
      detail: 'eks.amazonaws.com',
    });
    expect(detectTool({ sourceIPAddress: 'AWS Internal' })).toEqual({
      name: 'aws-service',
      detail: 'AWS Internal',
    });
  });

  it('says unknown when there is no clue', () => {
    expect(detectTool({})).toEqual({ name: 'unknown', detail: null });
    expect(
      detectTool({ userAgent: '', sourceIPAddress: '203.0.113.5', sessionCredentialFromConsole: 'false' }),
    ).toEqual({
      name: 'unknown',
      detail: null,
    });
  });
});
