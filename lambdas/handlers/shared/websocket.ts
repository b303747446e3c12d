import type { APIGatewayEventWebsocketRequestContextV2, APIGatewayProxyWebsocketEventV2WithRequestContext } from 'aws-lambda';
import { UnauthorizedError } from '../../core/errors.ts';
import type { WsPrincipal } from '../../core/use-cases/websocket-session.ts';
import { isTier } from '../../core/tiers.ts';

/** What the $connect authorizer puts in its policy context; API Gateway passes it to every route of the connection. */
export interface WsAuthorizerContext {
  userId: string;
  tier: string;
  /** Policy context values are strings, numbers or booleans; API Gateway may hand booleans back as strings. */
  admin: boolean | string;
  /** The token's `exp` (epoch seconds), a number or its string form; absent on connections made before it was kept. */
  exp?: number | string;
}

export type WsEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<
  APIGatewayEventWebsocketRequestContextV2 & { authorizer?: Partial<WsAuthorizerContext> | null }
>;

export interface WsResult {
  statusCode: number;
  body?: string;
}

export function principalFromAuthorizer(event: WsEvent): WsPrincipal {
  const ctx = event.requestContext.authorizer;
  if (!ctx || typeof ctx.userId !== 'string' || ctx.userId.length === 0) throw new UnauthorizedError('No authorizer context on the connection');
  const principal: WsPrincipal = { userId: ctx.userId, tier: isTier(ctx.tier) ? ctx.tier : 'free', admin: ctx.admin === true || ctx.admin === 'true' };
  const exp = Number(ctx.exp);
  if (ctx.exp !== undefined && ctx.exp !== '' && Number.isFinite(exp)) principal.tokenExpiresAt = exp;
  return principal;
}
