import { App } from 'aws-cdk-lib';
import { addBacktestStacks } from '../lib/backtest-app.ts';

const app = new App();
addBacktestStacks(app);
app.synth();
