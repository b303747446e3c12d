import { TIERS, type Tier } from '../../lambdas/core/tiers.ts';

/** The price file (prices-us-east-1.json): only the fields the model reads. */
export interface Prices {
  readOn: string;
  region: string;
  lambda: { arm64GbSecond: number; requestPerMillion: number };
  sqs: { standardRequestPerMillion: number };
  dynamodb: { onDemandWriteRequestUnitPerMillion: number; onDemandReadRequestUnitPerMillion: number; storageGbMonth: number; streamsReadByLambda: number };
  apiGatewayHttp: { requestPerMillion: number };
  apiGatewayWebSocket: { messagePerMillion: number; connectionMinutePerMillion: number };
  cloudWatch: { logsIngestedGb: number; logsStoredGbMonth: number; customMetricMonth: number; alarmMonth: number; dashboardMonth: number };
  dataTransferOutGb: { usd: number };
  oldDesign: { ec2C7gLargeHour: number; ec2C7gLargeVcpus: number; ebsGp3GbMonth: number; elasticacheT4gSmallHour: number; supabaseProMonth: number };
}

/** model-inputs.json: only the fields the cost arithmetic reads. */
export interface CostInputs {
  usage: { sessionsPerUserPerDay: Record<Tier, number>; connectedMinutesPerUserPerDay: Record<Tier, number>; daysPerMonth: number };
  lambda: { apiMemoryMb: number; apiDurationMs: number; notifierMemoryMb: number; notifierDurationMs: number; wsMemoryMb: number; wsDurationMs: number };
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
    sqsRequests: number;
  };
  perSession: { lambdaInvocations: number; writeUnits: number; wsMessages: number };
  logs: { workerBytesPerJob: number; apiBytesPerRequest: number; accessLogBytesPerRequest: number; notifierBytesPerInvocation: number; wsBytesPerInvocation: number; retentionMonths: number };
  fixed: { customMetrics: number; alarms: number; dashboards: number; queues: number; esmPollersPerQueue: number; longPollSeconds: number };
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

/**
 * A month of the serverless design, line by line. Quantities are per month; each line's price comes from `prices`.
 * Fixed lines (idle queue polling, metrics, alarms) are there at any load, which is why small deployments cost more
 * per 1,000 jobs.
 */
export function monthlyCost(tiers: Record<Tier, TierMonth>, inputs: CostInputs, prices: Prices): CostReport {
  const p = inputs.perJob;
  const days = inputs.usage.daysPerMonth;
  let jobs = 0;
  let workerGbS = 0;
  let progressWrites = 0;
  let sessions = 0;
  let connectionMinutes = 0;
  for (const tier of TIERS) {
    const t = tiers[tier];
    jobs += t.jobs;
    workerGbS += t.jobs * (t.billedMsPerJob / 1000) * (t.workerMemoryMb / MB_PER_GB);
    progressWrites += t.jobs * progressWritesPerJob(t.runMsPerJob, p.progressIntervalMs);
    sessions += t.users * inputs.usage.sessionsPerUserPerDay[tier] * days;
    connectionMinutes += t.users * inputs.usage.connectedMinutesPerUserPerDay[tier] * days;
  }
  // Every write to a job row becomes a stream record the notifier sees: claim, progress, result.
  const streamRecords = progressWrites + 2 * jobs;
  const notifierInvocations = streamRecords / p.notifierRecordsPerInvocation;
  const httpRequests = jobs * p.httpRequests;
  const wsInvocations = sessions * inputs.perSession.lambdaInvocations + jobs; // + one subscribe message per job
  const outboundMessages = streamRecords * p.subscribersPerJob + jobs; // progress pushes + the subscribe snapshot
  const inboundMessages = jobs + sessions * inputs.perSession.wsMessages;
  const wsMessages = outboundMessages + inboundMessages;

  const writes =
    jobs * (p.submitWriteUnits + p.claimWriteUnits + writeUnits(p.resultItemKb) + p.subscribeWriteUnits) +
    progressWrites * p.progressWriteUnits +
    sessions * inputs.perSession.writeUnits;
  const reads = jobs * (p.submitReadUnits + eventualReadUnits(p.readsAfterFinishKb) + p.subscribeReadUnits) + streamRecords * p.notifierReadUnitsPerRecord;
  const storageGb = (jobs * p.resultItemKb) / 1024 / 1024;

  const f = inputs.fixed;
  const idlePolls = f.queues * f.esmPollersPerQueue * ((HOURS_PER_MONTH * 3600) / f.longPollSeconds);
  const sqsRequests = jobs * p.sqsRequests + idlePolls;

  const apiGbS = httpRequests * (inputs.lambda.apiDurationMs / 1000) * (inputs.lambda.apiMemoryMb / MB_PER_GB);
  const notifierGbS = notifierInvocations * (inputs.lambda.notifierDurationMs / 1000) * (inputs.lambda.notifierMemoryMb / MB_PER_GB);
  const wsGbS = wsInvocations * (inputs.lambda.wsDurationMs / 1000) * (inputs.lambda.wsMemoryMb / MB_PER_GB);
  const lambdaRequests = jobs + httpRequests + notifierInvocations + wsInvocations;

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
    { service: 'Lambda', item: 'worker compute', quantity: workerGbS, unit: 'GB-s', usd: workerGbS * prices.lambda.arm64GbSecond },
    { service: 'Lambda', item: 'API, notifier, WebSocket compute', quantity: apiGbS + notifierGbS + wsGbS, unit: 'GB-s', usd: (apiGbS + notifierGbS + wsGbS) * prices.lambda.arm64GbSecond },
    { service: 'Lambda', item: 'requests (all functions)', quantity: lambdaRequests, unit: 'requests', usd: perMillion(lambdaRequests, prices.lambda.requestPerMillion) },
    { service: 'SQS', item: 'send, receive, delete + idle long polls', quantity: sqsRequests, unit: 'requests', usd: perMillion(sqsRequests, prices.sqs.standardRequestPerMillion) },
    { service: 'DynamoDB', item: 'writes (submit, claim, progress, result, sockets)', quantity: writes, unit: 'WRU', usd: perMillion(writes, prices.dynamodb.onDemandWriteRequestUnitPerMillion) },
    { service: 'DynamoDB', item: 'reads (submit, result, notifier lookups)', quantity: reads, unit: 'RRU', usd: perMillion(reads, prices.dynamodb.onDemandReadRequestUnitPerMillion) },
    { service: 'DynamoDB', item: 'stream reads by the notifier trigger', quantity: streamRecords, unit: 'records', usd: streamRecords * prices.dynamodb.streamsReadByLambda },
    { service: 'DynamoDB', item: "storage (a month's jobs)", quantity: storageGb, unit: 'GB-month', usd: storageGb * prices.dynamodb.storageGbMonth },
    { service: 'API Gateway', item: 'HTTP API requests', quantity: httpRequests, unit: 'requests', usd: perMillion(httpRequests, prices.apiGatewayHttp.requestPerMillion) },
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
