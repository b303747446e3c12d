import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Validations } from 'aws-cdk-lib';
import type { JwtSettings } from '../app-config.ts';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import {
  BacktestFunction,
  bindConnectionsTable,
  bindJobsTable,
  bindJwtVerification,
  bindManagementApi,
  bindUsersTable,
  bindAdminDirectory,
  type UserDirectorySource,
} from './backtest-function.ts';

export interface WebSocketApiProps {
  readonly jwt: JwtSettings;
  readonly jobsTable: ITable;
  readonly connectionsTable: ITable;
  /** Only its name: the job repository the message handler builds takes both table names. */
  readonly usersTable: ITable;
  readonly logRetentionDays: number;
  /** Where an admin claim is confirmed before it lets a connection watch other users' jobs. */
  readonly userDirectory: UserDirectorySource;
  /** Steady-state messages per second across the stage. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Stage name of the WebSocket API; part of the wss URL and of the management endpoint. */
export const WS_STAGE = 'prod';

/**
 * The WebSocket API of DESIGN.md. `$connect` is the only route API Gateway lets an authorizer guard; it verifies
 * the `token` query parameter against the same issuer as the HTTP API, and every later message arrives on that
 * authorized connection (the handlers read the user from the authorizer context stored with the connection).
 */
export class WebSocketApi extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  readonly functions: Record<'authorizer' | 'connect' | 'disconnect' | 'message', BacktestFunction>;

  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id);
    const make = (fnId: string, entry: string, description: string): BacktestFunction =>
      new BacktestFunction(this, fnId, { entry, description, logRetentionDays: props.logRetentionDays });

    const authorizerFn = make('Authorizer', HANDLER_ENTRIES.wsAuthorizer, 'WebSocket $connect authorizer: verifies ?token= against the JWKS');
    bindJwtVerification(authorizerFn, props.jwt);
    const connect = make('Connect', HANDLER_ENTRIES.wsConnect, 'WebSocket $connect: records the connection and its user');
    // Records the connection and the user's slot (a transaction of two Puts), counts the user's open connections (Query
    // on the user's partition) and, over the cap, removes what it wrote again (deleteConnection: Query + BatchWrite).
    bindConnectionsTable(connect, props.connectionsTable, { actions: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'] });
    const disconnect = make('Disconnect', HANDLER_ENTRIES.wsDisconnect, 'WebSocket $disconnect: removes the connection and its subscriptions');
    // deleteConnection: Query the connection's items, then BatchWrite their deletes (the user's slot included).
    bindConnectionsTable(disconnect, props.connectionsTable, { actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'] });
    const message = make('Message', HANDLER_ENTRIES.wsMessage, 'WebSocket subscribe / unsubscribe / $default: subscriptions and snapshots');
    // getConnection (GetItem), subscribe (a transaction of two Puts, after counting the connection's subscriptions
    // with a Query), unsubscribe (DeleteItem), and deleteConnection (Query + BatchWrite) on a gone or expired client.
    bindConnectionsTable(message, props.connectionsTable, {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
    });
    bindJobsTable(message, props.jobsTable, 'read');
    bindUsersTable(message, props.usersTable, 'name');
    bindAdminDirectory(message, props.userDirectory);

    const authorizer = new WebSocketLambdaAuthorizer('TokenAuthorizer', authorizerFn.fn, {
      identitySource: ['route.request.querystring.token'],
    });
    const messageIntegration = new WebSocketLambdaIntegration('MessageIntegration', message.fn);
    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      description: 'Live job progress: subscribe to a job, receive a snapshot then every change',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: { integration: new WebSocketLambdaIntegration('ConnectIntegration', connect.fn), authorizer },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('DisconnectIntegration', disconnect.fn) },
      defaultRouteOptions: { integration: messageIntegration },
    });
    this.api.addRoute('subscribe', { integration: messageIntegration });
    this.api.addRoute('unsubscribe', { integration: messageIntegration });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetentionDays as logs.RetentionDays });
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: WS_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            route: '$context.routeKey',
            event: '$context.eventType',
            connectionId: '$context.connectionId',
            status: '$context.status',
            user: '$context.authorizer.userId',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    // The snapshot on subscribe is posted to the caller's own connection.
    bindManagementApi(message, this.api, this.stage);

    for (const route of ['$disconnect', '$default', 'subscribe', 'unsubscribe']) {
      const routeConstruct = this.api.node.findChild(`${route}-Route`);
      Validations.of(routeConstruct).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'API Gateway WebSocket APIs accept an authorizer only on $connect; this route runs on a connection that $connect already authorized.',
      });
    }
    this.functions = { authorizer: authorizerFn, connect, disconnect, message };
  }

  /** `wss://…/prod`. */
  get url(): string {
    return this.stage.url;
  }

  /** `https://…/prod`: what the management API client is pointed at. */
  get managementEndpoint(): string {
    return this.stage.callbackUrl;
  }
}
