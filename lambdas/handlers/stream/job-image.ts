import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { jobFromItem } from '../../adapters/dynamodb-job-item.ts';
import type { Job } from '../../core/job.ts';

/** A Jobs stream image as a Job, read with the same item mapping the repository writes with. */
export function jobFromImage(image: Record<string, unknown> | undefined): Job | undefined {
  if (!image) return undefined;
  return jobFromItem(unmarshall(image as Record<string, AttributeValue>));
}
