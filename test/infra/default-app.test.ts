import { describeFunctionsAndState } from './default-app/functions-and-state.ts';
import { describeHandlerEnvironment } from './default-app/handler-environment.ts';
import { describeHttpApi } from './default-app/http-api.ts';
import { describeObservability } from './default-app/observability.ts';
import { describePermissions } from './default-app/permissions.ts';
import { describeProgressStream } from './default-app/progress-stream.ts';
import { describeQueuesAndWorkers } from './default-app/queues-and-workers.ts';
import { describeStuckJobSweeper } from './default-app/stuck-job-sweeper.ts';
import { describeWebSocketApi } from './default-app/websocket-api.ts';

/**
 * Every assertion about the app as a plain `cdk deploy` builds it, in one file so the app is synthesized once
 * (support/default-app.ts) instead of once per concern. Each concern keeps its own module in default-app/, in
 * pipeline order. Apps built with other context are in context-variants.test.ts; real bundling in synth-bundled.test.ts.
 */
describeFunctionsAndState();
describeQueuesAndWorkers();
describeHttpApi();
describeStuckJobSweeper();
describeWebSocketApi();
describeProgressStream();
describeObservability();
describePermissions();
describeHandlerEnvironment();
