import { progressNotifierDependencies } from '../shared/dependencies.ts';
import { createProgressNotifierHandler } from './progress-notifier-handler.ts';

/** Lambda entry for the Jobs table stream. */
export const handler = createProgressNotifierHandler(progressNotifierDependencies());
