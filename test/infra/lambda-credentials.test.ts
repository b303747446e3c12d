import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { credentialsTreatedAsExpired, defaultProvider } from '../../lib/bundling/lambda-credentials.ts';

// The deployed bundles get this module instead of the SDK's default credential chain (lib/bundling/lambda-credentials.ts
// says why). It must give a client what Lambda puts in the environment, and fail plainly where there is nothing.
const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_PROFILE'] as const;

describe('the Lambda bundles\' credential provider (environment only)', () => {
  const saved = Object.fromEntries(CREDENTIAL_VARIABLES.map((name) => [name, process.env[name]]));
  const setCredentials = (values: Partial<Record<(typeof CREDENTIAL_VARIABLES)[number], string>>): void => {
    for (const name of CREDENTIAL_VARIABLES) delete process.env[name];
    Object.assign(process.env, values);
  };
  afterEach(() => {
    for (const name of CREDENTIAL_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('returns the execution role credentials Lambda puts in the environment', async () => {
    // Prepare
    setCredentials({ AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' });
    expect(credentials.expiration).toBeUndefined();
  });

  it('reads the environment once, as the default chain does, unless the SDK asks for a refresh', async () => {
    // Prepare
    setCredentials({ AWS_ACCESS_KEY_ID: 'FIRST', AWS_SECRET_ACCESS_KEY: 'secret' });
    const provider = defaultProvider();
    await provider();
    process.env.AWS_ACCESS_KEY_ID = 'SECOND';

    // Act
    const cached = await provider();
    const refreshed = await provider({ forceRefresh: true });

    // Assess
    expect(cached.accessKeyId).toBe('FIRST');
    expect(refreshed.accessKeyId).toBe('SECOND');
  });

  it('reads the environment again when the credentials expire within 5 minutes', async () => {
    // Prepare
    const soon = new Date(Date.now() + 60_000).toISOString();
    setCredentials({ AWS_ACCESS_KEY_ID: 'FIRST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_CREDENTIAL_EXPIRATION: soon });
    const provider = defaultProvider();
    const first = await provider();
    process.env.AWS_ACCESS_KEY_ID = 'SECOND';

    // Act
    const next = await provider();

    // Assess
    expect(credentialsTreatedAsExpired(first)).toBe(true);
    expect(next.accessKeyId).toBe('SECOND');
  });

  it('fails with a sentence naming the variables when the environment has no credentials, whatever profile is set', async () => {
    // Prepare: a profile would send the full chain to ~/.aws; this provider never looks there.
    setCredentials({ AWS_PROFILE: 'someone' });

    // Act
    const attempt = defaultProvider()();

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'CredentialsProviderError',
      tryNextLink: false,
      message: expect.stringContaining('No AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)'),
    });
  });

  describe('behind a real client', () => {
    let server: Server;
    let endpoint: string;
    const seen: IncomingHttpHeaders[] = [];

    beforeAll(async () => {
      // Answers DynamoDB's "no such item" for any request and keeps the headers, to see what the client signed with.
      server = createServer((req, res) => {
        seen.push(req.headers);
        req.resume();
        req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' }).end('{}'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const client = (): DynamoDBClient => new DynamoDBClient({ region: 'eu-west-1', endpoint, credentialDefaultProvider: defaultProvider, maxAttempts: 1 });

    it('signs requests with the environment credentials', async () => {
      // Prepare
      setCredentials({ AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });
      seen.length = 0;

      // Act
      const out = await client().send(new GetItemCommand({ TableName: 'jobs', Key: { jobId: { S: 'j-1' } } }));

      // Assess
      expect(out.Item).toBeUndefined();
      expect(seen).toHaveLength(1);
      expect(seen[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request,/);
      expect(seen[0]['x-amz-security-token']).toBe('session');
    });

    it('sends nothing and rejects with the plain sentence when the environment has no credentials', async () => {
      // Prepare
      setCredentials({});
      seen.length = 0;

      // Act
      const attempt = client().send(new GetItemCommand({ TableName: 'jobs', Key: { jobId: { S: 'j-1' } } }));

      // Assess
      await expect(attempt).rejects.toThrow(/^No AWS credentials in the environment/);
      expect(seen).toHaveLength(0);
    });
  });
});
