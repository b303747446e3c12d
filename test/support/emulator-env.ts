import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { createResources, type LocalResources, type ResourceOptions } from '../../local/resources.ts';
import { documentClient } from '../../lambdas/adapters/dynamodb-document-client.ts';

/** Endpoints of the emulators started by test/support/global-setup.ts. Throws the start-up failure if there was one. */
export function emulatorEndpoints(): { dynamodbEndpoint: string; sqsEndpoint: string } {
  const provided = inject('emulators');
  if (!provided) throw new Error('emulators were not provided: is test/support/global-setup.ts the vitest globalSetup?');
  if ('unavailable' in provided) throw new Error(`the emulators could not start: ${provided.unavailable}`);
  return { dynamodbEndpoint: provided.dynamodbEndpoint, sqsEndpoint: provided.sqsEndpoint };
}

/** A name prefix no other test file uses: `t<label>-<random>`. */
export function freshPrefix(label = ''): string {
  const safe = label.replace(/[^A-Za-z0-9]/g, '').slice(0, 12);
  return `t${safe}-${randomBytes(4).toString('hex')}`;
}

export interface EmulatorEnv extends LocalResources {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  prefix: string;
  dynamodb: DynamoDBClient;
  /** The document client the adapters use, configured as in production. */
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  /** Destroys the SDK clients (the tables and queues stay; their prefix is never reused). */
  close(): void;
}

/** Fresh tables and queues under a new prefix, with SDK clients pointed at the emulators. */
export async function freshEmulatorEnv(
  label = '',
  options: Pick<ResourceOptions, 'visibilityTimeoutSeconds' | 'maxReceiveCount'> = {},
): Promise<EmulatorEnv> {
  const endpoints = emulatorEndpoints();
  const prefix = freshPrefix(label);
  const resources = await createResources({ ...endpoints, prefix, ...options });
  const dynamodb = new DynamoDBClient({ endpoint: endpoints.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const sqs = new SQSClient({ endpoint: endpoints.sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    ...resources,
    ...endpoints,
    prefix,
    dynamodb,
    doc: documentClient(dynamodb),
    sqs,
    close: () => {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}
