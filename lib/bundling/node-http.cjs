// What a Lambda bundle gets for `import ... from 'node:http'` (esbuild --alias in lib/constructs/backtest-function.ts).
// Why: an ES import of node:http reads every export of the module, and on Node 24 some of them (WebSocket,
// CloseEvent, MessageEvent) are getters that load undici, about 20 ms of CPU at cold start (docs/performance.md,
// "Cold starts"). The bundled AWS SDK's IMDS credential provider imports node:http at module scope although a
// Lambda never asks IMDS. getBuiltinModule returns the same module object without reading its exports.
module.exports = process.getBuiltinModule('node:http');
