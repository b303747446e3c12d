import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { WsAuthorizerContext, WsEvent } from '../../../lambdas/handlers/shared/websocket.ts';

export interface WsEventInput {
  routeKey: '$connect' | '$disconnect' | '$default' | 'subscribe' | 'unsubscribe';
  connectionId: string;
  body?: string;
  /** What the $connect authorizer returned as context; omitted = no authorizer context. */
  authorizer?: WsAuthorizerContext;
}

/** A WebSocket API event as API Gateway sends it to route integrations. */
export function wsEvent(input: WsEventInput): WsEvent {
  const eventType = input.routeKey === '$connect' ? 'CONNECT' : input.routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  return {
    ...(input.body !== undefined ? { body: input.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      routeKey: input.routeKey,
      messageId: eventType === 'MESSAGE' ? `m-${Math.random().toString(16).slice(2)}` : undefined,
      eventType,
      extendedRequestId: 'ext',
      requestTime: '01/Mar/2024:12:00:00 +0000',
      messageDirection: 'IN',
      stage: 'dev',
      connectedAt: Date.parse('2024-03-01T12:00:00Z'),
      requestTimeEpoch: Date.parse('2024-03-01T12:00:00Z'),
      requestId: 'req',
      domainName: 'ws-test.execute-api.us-east-1.amazonaws.com',
      connectionId: input.connectionId,
      apiId: 'ws-test',
      ...(input.authorizer ? { authorizer: input.authorizer } : {}),
    },
  } as WsEvent;
}

/** The REQUEST authorizer event for `$connect`, token in the query string as browsers must send it. */
export function wsAuthorizerEvent(token: string | undefined): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:ws-test/dev/$connect',
    resource: '$connect',
    path: '/',
    httpMethod: 'GET',
    headers: {},
    multiValueHeaders: {},
    pathParameters: {},
    queryStringParameters: token === undefined ? {} : { token },
    multiValueQueryStringParameters: {},
    stageVariables: {},
    requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}
