import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given (no normalisation of `..`, no re-encoding), as a hostile client would. */
  path: string;
  headers?: Record<string, string>;
  /** Bytes as they go on the wire: may be invalid UTF-8. */
  body?: Buffer | string;
}

/**
 * An HTTP request with nothing in between: `fetch` normalises paths, refuses odd header values and always encodes
 * text as UTF-8, which would keep the most hostile requests from ever reaching the gateway.
 */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: { ...(body !== undefined ? { 'content-length': String(body.length) } : {}), ...req.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A 4xx RFC 9457 problem whose `status` matches the response; returns the parsed problem. */
export function clientProblemOf(res: RawResponse): { status: number; type: string; title: string; detail: string; errors?: { path: string; message: string }[] } {
  const where = `${res.status} ${res.text.slice(0, 300)}`;
  if (res.status < 400 || res.status > 499) throw new Error(`expected a 4xx, got ${where}`);
  if (res.headers['content-type'] !== 'application/problem+json') throw new Error(`expected application/problem+json, got ${String(res.headers['content-type'])}: ${where}`);
  const problem = JSON.parse(res.text) as ReturnType<typeof clientProblemOf>;
  if (problem.status !== res.status || typeof problem.title !== 'string' || typeof problem.detail !== 'string') throw new Error(`not a problem body: ${where}`);
  return problem;
}
