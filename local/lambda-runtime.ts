import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

/** A Lambda handler as the production entry files export it (async, callback-free). */
export type LambdaHandler = (event: any, context: Context) => Promise<unknown>;

/**
 * A Lambda invocation context: Powertools' logger and the batch processor read these fields, and
 * `getRemainingTimeInMillis` counts down from the function's timeout as it does on AWS.
 */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Loads a handler module once, like a Lambda cold start: later invocations reuse the module's state. */
export function lazyHandler(modulePath: string): () => Promise<LambdaHandler> {
  let loaded: Promise<LambdaHandler> | undefined;
  return () => {
    loaded ??= import(pathToFileURL(modulePath).href).then((module: { handler?: unknown }) => {
      if (typeof module.handler !== 'function') throw new Error(`${modulePath} does not export a handler function`);
      return module.handler as LambdaHandler;
    });
    // A failed load (a syntax error while someone edits a handler) is retried on the next request.
    loaded.catch(() => { loaded = undefined; });
    return loaded;
  };
}
