/**
 * What every SDK client of the local stack signs with. A module of its own so small tools (the token CLI) can reach
 * a running stack's DynamoDB Local without loading the emulators (fauxqs, the Java launcher).
 */

/** Dummy credentials: the emulators accept any, but the SDK refuses to sign without some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';
