export { httpEvent, claimsFor, type HttpEventInput } from './http-event.ts';
export { sqsRecord, sqsEvent } from './sqs-event.ts';
export { jobStreamRecord, streamEvent } from './dynamodb-stream-event.ts';
export { wsEvent, wsAuthorizerEvent } from './websocket-event.ts';
export { lambdaContext } from './lambda-context.ts';
