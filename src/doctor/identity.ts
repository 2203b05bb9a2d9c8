/**
 * netwarden's own account id, from STS `GetCallerIdentity` ("Returns details about the IAM user or
 * role whose credentials are used to call the operation"; no permission is needed to call it —
 * STS API Reference). Without `aws.accounts`, netwarden's scopes are labelled `self`; the id makes
 * the report and the fix commands concrete and finds the VPCs its snapshot keeps under the id.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

/** Answers netwarden's own account id, or `null` when STS cannot be asked. */
export type OwnAccount = () => Promise<string | null>;

/**
 * Asks STS in `region` with the SDK's default credentials and endpoint (`AWS_ENDPOINT_URL_STS`
 * is honoured), two attempts at most: the answer is a nicety, never worth a slow report. A found
 * id is kept; a failure is asked again next time.
 */
export function ownAccountFromSts(region: string): OwnAccount {
  let known: string | null = null;
  return async () => {
    if (known !== null) return known;
    const client = new STSClient({ region, maxAttempts: 2 });
    try {
      const output = await client.send(new GetCallerIdentityCommand({}));
      known = output.Account && /^\d{12}$/.test(output.Account) ? output.Account : null;
      return known;
    } catch {
      return null;
    } finally {
      client.destroy();
    }
  };
}
