#!/usr/bin/env node
// The `backtest` bin. Plain JavaScript on purpose: it must run on any Node.js far enough to say, in one sentence,
// that the CLI needs Node 24 (an older Node cannot even load the TypeScript files it imports next).
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major !== REQUIRED_MAJOR) {
  process.stderr.write(
    `backtest needs Node.js ${REQUIRED_MAJOR} but runs on ${process.version}: run it as \`npx backtest …\` inside the project folder (npx uses the Node ${REQUIRED_MAJOR} pinned in devDependencies).\n`,
  );
  process.exit(1);
}
await import('./main.ts');
