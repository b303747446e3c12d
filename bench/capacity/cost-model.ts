import { TIERS, type Tier } from '../../lambdas/core/tiers.ts';

/** The price file (prices-us-east-1.json): only the fields the model reads. */
export interface Prices {
  readOn: string;
  region: string;
  lambda: { arm64GbSecond: number; x86GbSecond: number; requestPerMillion: number };
  sqs: { standardRequestPerMillion: number };
  dynamodb: { onDemandWriteRequestUnitPerMillion: number; onDemandReadRequestUnitPerMillion: number; storageGbMonth: number; streamsReadByLambda: number };
  apiGatewayHttp: { requestPerMillion: number };
  apiGatewayWebSocket: { messagePerMillion: number; connectionMinutePerMillion: number };
  cloudWatch: { logsIngestedGb: number; logsStoredGbMonth: number; customMetricMonth: number; alarmMonth: number; dashboardMonth: number };
  cognito: { liteMauMonth: number; essentialsMauMonth: number; plusMauMonth: number };
  xRay: { tracesRecordedPerMillion: number };
  dataTransferOutGb: { usd: number };
  oldDesign: { ec2C7gLargeHour: number; ec2C7gLargeVcpus: number; ebsGp3GbMonth: number; elasticacheT4gSmallHour: number; supabaseProMonth: number };
}

/** The Lambda architectures AWS prices differently. */
export type LambdaArchitecture = 'arm64' | 'x86_64';
/** Amazon Cognito user pool feature plans, priced per monthly active user. */
export type CognitoFeaturePlan = 'lite' | 'essentials' | 'plus';

/** model-inputs.json: only the fields the cost arithmetic reads. */
export interface CostInputs {
  usage: { sessionsPerUserPerDay: Record<Tier, number>; connectedMinutesPerUserPerDay: Record<Tier, number>; daysPerMonth: number };
  lambda: { architecture: LambdaArchitecture; apiMemoryMb: number; apiDurationMs: number; notifierMemoryMb: number; notifierDurationMs: number; wsMemoryMb: number; wsDurationMs: number };
  perJob: {
    httpRequests: number;
    submitWriteUnits: number;
    submitReadUnits: number;
    claimWriteUnits: number;
    progressIntervalMs: number;
    progressWriteUnits: number;
    resultItemKb: number;
    readsAfterFinishKb: number;
    subscribeWriteUnits: number;
    subscribeReadUnits: number;
    notifierReadUnitsPerRecord: number;
    notifierRecordsPerInvocation: number;
    subscribersPerJob: number;
    wsMessageKb: number;
    httpResponseKb: number;
    /** The job message's size on the tier queue: send and receive are billed per 64 KB of it, delete once. */
    sqsMessageKb: number;
  };
  perSession: { lambdaInvocations: number; writeUnits: number; wsMessages: number };
  logs: { workerBytesPerJob: number; apiBytesPerRequest: number; accessLogBytesPerRequest: number; notifierBytesPerInvocation: number; wsBytesPerInvocation: number; retentionMonths: number };
  fixed: { customMetrics: number; alarms: number; dashboards: number; queues: number; esmPollersPerQueue: number; longPollSeconds: number };
  auth: { featurePlan: CognitoFeaturePlan };
  /** X-Ray sampling of the functions' active tracing, and how many HTTP route functions a job's requests reach. */
  tracing: { reservoirPerSecond: number; fixedRate: number; httpApiFunctionsPerJob: number };
  oldDesign: { apiVms: number; spareWorkerVms: number; ebsGbPerVm: number; redisNodes: number };
}

/** What one tier's jobs look like for a month: counts from the usage model, times from the simulation. */
export interface TierMonth {
  jobs: number;
  users: number;
  workerMemoryMb: number;
  /** Mean billed worker time per job, ms (handler plus the init of the cold starts it caused). */
  billedMsPerJob: number;
  /** Mean handler time per job, ms: sets how many progress writes a job makes. */
  runMsPerJob: number;
}

export interface CostLine {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

export interface CostReport {
  lines: CostLine[];
  totalUsd: number;
  jobs: number;
  usdPer1000Jobs: number;
}

const MB_PER_GB = 1024;
const HOURS_PER_MONTH = 730;

/** Progress writes one job makes: one per interval while running, plus the final result write (counted apart). */
export function progressWritesPerJob(runMs: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(runMs / intervalMs));
}

/** DynamoDB on-demand write units of one write of `kb` kilobytes (1 KB each, rounded up). */
export const writeUnits = (kb: number): number => Math.max(1, Math.ceil(kb));
/** Read units of one eventually consistent read of `kb` kilobytes (4 KB each, rounded up, halved). */
export const eventualReadUnits = (kb: number): number => Math.max(1, Math.ceil(kb / 4)) / 2;
/** SQS requests one send or receive of a `kb` payload is billed as: one per 64 KB chunk. */
export const sqsRequestUnits = (kb: number): number => Math.max(1, Math.ceil(kb / 64));
/** API Gateway WebSocket messages one `kb` message is metered as: one per 32 KB (a 33 KB message is two). */
export const webSocketMessageUnits = (kb: number): number => Math.max(1, Math.ceil(kb / 32));
/** API Gateway HTTP API requests one call is metered as: one per 512 KB. */
export const httpApiRequestUnits = (kb: number): number => Math.max(1, Math.ceil(kb / 512));
/** Lambda bills each invocation's duration rounded up to the next millisecond. */
export const billedLambdaMs = (ms: number): number => Math.max(1, Math.ceil(ms));

/** The GB-second price of the architecture the functions run on. */
export function gbSecondPrice(prices: Prices, architecture: LambdaArchitecture): number {
  return architecture === 'arm64' ? prices.lambda.arm64GbSecond : prices.lambda.x86GbSecond;
}

/** The per-MAU price of a Cognito feature plan. */
export function mauPrice(prices: Prices, plan: CognitoFeaturePlan): number {
  return plan === 'lite' ? prices.cognito.liteMauMonth : plan === 'essentials' ? prices.cognito.essentialsMauMonth : prices.cognito.plusMauMonth;
}

/**
 * Traces X-Ray records for `invocations` spread evenly over `functions` functions and `seconds`: each function's
 * first request of a second (the reservoir), then `fixedRate` of the rest. An even spread is the upper bound (the
 * per-second count is concave in the load, so bunching traffic into busy hours records fewer), hence the dear case.
 */
export function tracesRecorded(invocations: number, functions: number, seconds: number, tracing: Pick<CostInputs['tracing'], 'reservoirPerSecond' | 'fixedRate'>): number {
  if (invocations <= 0 || functions <= 0) return 0;
  const reservoir = Math.min(invocations, functions * seconds * tracing.reservoirPerSecond);
  return reservoir + tracing.fixedRate * (invocations - reservoir);
}

/**
 * A month of the serverless design, line by line. Quantities are per month; each line's price comes from `prices`.
 * Fixed lines (idle queue polling, metrics, alarms) are there at any load, which is why small deployments cost more
 * per 1,000 jobs.
 */
export function monthlyCost(tiers: Record<Tier, TierMonth>, inputs: CostInputs, prices: Prices): CostReport {
  const p = inputs.perJob;
  const days = inputs.usage.daysPerMonth;
  const seconds = days * 86_400;
  let jobs = 0;
  let workerGbS = 0;
  let progressWrites = 0;
  let sessions = 0;
  let connectionMinutes = 0;
  let traces = 0;
  let users = 0;
  for (const tier of TIERS) {
    const t = tiers[tier];
    jobs += t.jobs;
    users += t.users;
    traces += tracesRecorded(t.jobs, 1, seconds, inputs.tracing); // one worker function per tier
    workerGbS += t.jobs * (t.billedMsPerJob / 1000) * (t.workerMemoryMb / MB_PER_GB);
    progressWrites += t.jobs * progressWritesPerJob(t.runMsPerJob, p.progressIntervalMs);
    sessions += t.users * inputs.usage.sessionsPerUserPerDay[tier] * days;
    connectionMinutes += t.users * inputs.usage.connectedMinutesPerUserPerDay[tier] * days;
  }
  // Every write to a job row becomes a stream record the notifier is invoked for (INSERT and MODIFY): the submit's
  // insert, the claim, progress, the result. The insert reaches nobody: the client subscribes after submit returns.
  const streamRecords = progressWrites + 3 * jobs;
  const pushedRecords = progressWrites + 2 * jobs;
  const notifierInvocations = streamRecords / p.notifierRecordsPerInvocation;
  const httpRequests = jobs * p.httpRequests;
  const sessionInvocations = sessions * inputs.perSession.lambdaInvocations; // authorizer, $connect, $disconnect
  const wsInvocations = sessionInvocations + jobs; // + one subscribe message per job
  const outboundMessages = pushedRecords * p.subscribersPerJob + jobs; // progress pushes + the subscribe snapshot
  const inboundMessages = jobs + sessions * inputs.perSession.wsMessages;
  // Metered per 32 KB: a push or snapshot of wsMessageKb counts webSocketMessageUnits; subscribe messages are small.
  const wsMessages = outboundMessages * webSocketMessageUnits(p.wsMessageKb) + inboundMessages;

  const writes =
    jobs * (p.submitWriteUnits + p.claimWriteUnits + writeUnits(p.resultItemKb) + p.subscribeWriteUnits) +
    progressWrites * p.progressWriteUnits +
    sessions * inputs.perSession.writeUnits;
  const reads = jobs * (p.submitReadUnits + eventualReadUnits(p.readsAfterFinishKb) + p.subscribeReadUnits) + streamRecords * p.notifierReadUnitsPerRecord;
  const storageGb = (jobs * p.resultItemKb) / 1024 / 1024;

  const f = inputs.fixed;
  const idlePolls = f.queues * f.esmPollersPerQueue * ((HOURS_PER_MONTH * 3600) / f.longPollSeconds);
  // Send and receive carry the message (billed per 64 KB chunk); the delete is one request.
  const sqsRequests = jobs * (2 * sqsRequestUnits(p.sqsMessageKb) + 1) + idlePolls;

  const lam = inputs.lambda;
  const apiGbS = httpRequests * (billedLambdaMs(lam.apiDurationMs) / 1000) * (lam.apiMemoryMb / MB_PER_GB);
  const notifierGbS = notifierInvocations * (billedLambdaMs(lam.notifierDurationMs) / 1000) * (lam.notifierMemoryMb / MB_PER_GB);
  const wsGbS = wsInvocations * (billedLambdaMs(lam.wsDurationMs) / 1000) * (lam.wsMemoryMb / MB_PER_GB);
  const lambdaRequests = jobs + httpRequests + notifierInvocations + wsInvocations;
  const gbSecond = gbSecondPrice(prices, lam.architecture);
  const httpApiRequests = httpRequests * httpApiRequestUnits(p.httpResponseKb);

  traces +=
    tracesRecorded(httpRequests, inputs.tracing.httpApiFunctionsPerJob, seconds, inputs.tracing) +
    tracesRecorded(notifierInvocations, 1, seconds, inputs.tracing) +
    tracesRecorded(sessionInvocations, inputs.perSession.lambdaInvocations, seconds, inputs.tracing) +
    tracesRecorded(jobs, 1, seconds, inputs.tracing); // the WebSocket message function (subscribe)

  const l = inputs.logs;
  const logGb =
    (jobs * l.workerBytesPerJob +
      httpRequests * (l.apiBytesPerRequest + l.accessLogBytesPerRequest) +
      notifierInvocations * l.notifierBytesPerInvocation +
      wsInvocations * l.wsBytesPerInvocation +
      inboundMessages * l.accessLogBytesPerRequest) /
    1e9;
  const transferGb = (outboundMessages * p.wsMessageKb + httpRequests * p.httpResponseKb) / 1024 / 1024;

  const perMillion = (n: number, usd: number): number => (n / 1e6) * usd;
  const lines: CostLine[] = [
    { service: 'Lambda', item: `worker compute (${lam.architecture})`, quantity: workerGbS, unit: 'GB-s', usd: workerGbS * gbSecond },
    { service: 'Lambda', item: 'API, notifier, WebSocket compute', quantity: apiGbS + notifierGbS + wsGbS, unit: 'GB-s', usd: (apiGbS + notifierGbS + wsGbS) * gbSecond },
    { service: 'Lambda', item: 'requests (all functions)', quantity: lambdaRequests, unit: 'requests', usd: perMillion(lambdaRequests, prices.lambda.requestPerMillion) },
    { service: 'SQS', item: 'send, receive, delete + idle long polls', quantity: sqsRequests, unit: 'requests', usd: perMillion(sqsRequests, prices.sqs.standardRequestPerMillion) },
    { service: 'DynamoDB', item: 'writes (submit, claim, progress, result, sockets)', quantity: writes, unit: 'WRU', usd: perMillion(writes, prices.dynamodb.onDemandWriteRequestUnitPerMillion) },
    { service: 'DynamoDB', item: 'reads (submit, result, notifier lookups)', quantity: reads, unit: 'RRU', usd: perMillion(reads, prices.dynamodb.onDemandReadRequestUnitPerMillion) },
    { service: 'DynamoDB', item: 'stream reads by the notifier trigger', quantity: streamRecords, unit: 'records', usd: streamRecords * prices.dynamodb.streamsReadByLambda },
    { service: 'DynamoDB', item: "storage (a month's jobs)", quantity: storageGb, unit: 'GB-month', usd: storageGb * prices.dynamodb.storageGbMonth },
    { service: 'API Gateway', item: 'HTTP API requests', quantity: httpApiRequests, unit: 'requests', usd: perMillion(httpApiRequests, prices.apiGatewayHttp.requestPerMillion) },
    { service: 'API Gateway', item: 'WebSocket messages (both ways)', quantity: wsMessages, unit: 'messages', usd: perMillion(wsMessages, prices.apiGatewayWebSocket.messagePerMillion) },
    { service: 'API Gateway', item: 'WebSocket connection minutes', quantity: connectionMinutes, unit: 'minutes', usd: perMillion(connectionMinutes, prices.apiGatewayWebSocket.connectionMinutePerMillion) },
    { service: 'CloudWatch', item: 'logs ingested + stored', quantity: logGb, unit: 'GB', usd: logGb * (prices.cloudWatch.logsIngestedGb + prices.cloudWatch.logsStoredGbMonth * l.retentionMonths) },
    {
      service: 'CloudWatch',
      item: 'custom metrics, alarms, dashboards',
      quantity: f.customMetrics + f.alarms + f.dashboards,
      unit: 'each',
      usd: f.customMetrics * prices.cloudWatch.customMetricMonth + f.alarms * prices.cloudWatch.alarmMonth + f.dashboards * prices.cloudWatch.dashboardMonth,
    },
    {
      service: 'Cognito',
      item: `user pool monthly active users (${inputs.auth.featurePlan})`,
      quantity: users,
      unit: 'MAU',
      usd: users * mauPrice(prices, inputs.auth.featurePlan),
    },
    { service: 'X-Ray', item: 'traces recorded (active tracing, default sampling)', quantity: traces, unit: 'traces', usd: perMillion(traces, prices.xRay.tracesRecordedPerMillion) },
    { service: 'Data transfer', item: 'out to the internet', quantity: transferGb, unit: 'GB', usd: transferGb * prices.dataTransferOutGb.usd },
  ];
  const totalUsd = lines.reduce((s, x) => s + x.usd, 0);
  return { lines, totalUsd, jobs, usdPer1000Jobs: jobs === 0 ? 0 : (totalUsd / jobs) * 1000 };
}

/**
 * The old design for the same load: always-on worker VMs sized for the busiest hour's total concurrency (one worker
 * process per vCPU), a spare, API VMs, Redis primary and replica, Supabase Pro for Realtime.
 */
export function oldDesignMonthlyCost(peakConcurrency: number, inputs: CostInputs, prices: Prices): CostReport & { workerVms: number } {
  const o = prices.oldDesign;
  const workerVms = Math.ceil(peakConcurrency / o.ec2C7gLargeVcpus) + inputs.oldDesign.spareWorkerVms;
  const vms = workerVms + inputs.oldDesign.apiVms;
  const lines: CostLine[] = [
    { service: 'EC2', item: `worker VMs (c7g.large, ${o.ec2C7gLargeVcpus} workers each, always on)`, quantity: workerVms, unit: 'VMs', usd: workerVms * o.ec2C7gLargeHour * HOURS_PER_MONTH },
    { service: 'EC2', item: 'API VMs (c7g.large)', quantity: inputs.oldDesign.apiVms, unit: 'VMs', usd: inputs.oldDesign.apiVms * o.ec2C7gLargeHour * HOURS_PER_MONTH },
    { service: 'EBS', item: 'gp3 volumes', quantity: vms * inputs.oldDesign.ebsGbPerVm, unit: 'GB-month', usd: vms * inputs.oldDesign.ebsGbPerVm * o.ebsGp3GbMonth },
    { service: 'ElastiCache', item: 'Redis cache.t4g.small', quantity: inputs.oldDesign.redisNodes, unit: 'nodes', usd: inputs.oldDesign.redisNodes * o.elasticacheT4gSmallHour * HOURS_PER_MONTH },
    { service: 'Supabase', item: 'Pro plan (Realtime)', quantity: 1, unit: 'plan', usd: o.supabaseProMonth },
  ];
  const totalUsd = lines.reduce((s, x) => s + x.usd, 0);
  return { lines, totalUsd, jobs: 0, usdPer1000Jobs: 0, workerVms };
}
