// Started by test/contract/emulators.test.ts as a separate Node process: starts the emulators, reports the
// watchdog's pid, then idles until it is killed.
import { startEmulators } from '../../local/emulators.ts';

const emulators = await startEmulators();
process.stdout.write(`${JSON.stringify({ watchdogPid: emulators.dynamodbPid, dynamodbEndpoint: emulators.dynamodbEndpoint })}\n`);
setInterval(() => undefined, 60_000);
