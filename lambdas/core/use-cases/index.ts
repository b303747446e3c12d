export * from './submit-backtest.ts';
export * from './read-jobs.ts';
export * from './cancel-job.ts';
export * from './queue-overview.ts';
export * from './process-job.ts';
export * from './notify-progress.ts';
export * from './websocket-session.ts';
export * from './job-view.ts';
export { MAX_BAR_EVALUATIONS, estimateWork } from './work-estimate.ts';
