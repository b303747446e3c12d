/**
 * Real headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core. Without the
 * binary the tests skip with a message on a laptop and fail under CI=true (.ci/run installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = resolve(import.meta.dirname, '..', '..', '..', 'test-artifacts');
const AXE = resolve(import.meta.dirname, '..', '..', '..', 'node_modules', 'axe-core', 'axe.min.js');

/** True when the tests can run; throws under CI=true when they cannot (a CI run must not pass by skipping). */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `browser tests need Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return false;
}

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  // launch() gives Chromium a fresh temporary profile (user-data-dir) of its own and removes it on close; the
  // --user-data-dir flag itself is refused by Playwright (it belongs to launchPersistentContext, one context only).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core in the page; returns the serious and critical violations (what the issue forbids). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // The callbacks run in the page; the test tsconfig has no DOM types, so the page's globals are reached untyped.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as { axe: { run: (ctx: unknown, opts: object) => Promise<{ violations: AxeViolation[] }> }; document: unknown };
    const result = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Saves a screenshot under test-artifacts/ (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The page's WebSocket connections go through Playwright's proxy (routeWebSocket), so a test can cut them as a
 * network failure would and refuse new ones until it lets them through again.
 */
export interface SocketSwitch {
  /** Closes every open connection (both ends) and refuses new ones. */
  cut(): void;
  restore(): void;
  /** Connections opened through the proxy so far. */
  readonly opened: number;
  /** What the page sent, with the 1-based number of the connection it went on. */
  readonly sent: { connection: number; message: string }[];
}

export async function switchableSockets(context: BrowserContext, wsUrl: string): Promise<SocketSwitch> {
  const open = new Set<{ close: () => Promise<void> }>();
  let blocked = false;
  let opened = 0;
  const sent: { connection: number; message: string }[] = [];
  const origin = new URL(wsUrl).host;
  await context.routeWebSocket(
    (url) => url.host === origin,
    (ws) => {
      if (blocked) {
        void ws.close({ code: 4000, reason: 'cut by test' }).catch(() => undefined);
        return;
      }
      opened += 1;
      const connection = opened;
      const server = ws.connectToServer();
      // With an onMessage handler Playwright no longer forwards the page's messages: record, then forward.
      ws.onMessage((message) => {
        sent.push({ connection, message: String(message) });
        server.send(message);
      });
      const pair = {
        close: async () => {
          await server.close({ code: 4000, reason: 'cut by test' }).catch(() => undefined);
          await ws.close({ code: 4000, reason: 'cut by test' }).catch(() => undefined);
        },
      };
      open.add(pair);
      // With an onClose handler Playwright no longer forwards the page's close to the server: do it here.
      ws.onClose(() => {
        open.delete(pair);
        void server.close().catch(() => undefined);
      });
    },
  );
  return {
    cut() {
      blocked = true;
      for (const pair of open) void pair.close();
      open.clear();
    },
    restore() {
      blocked = false;
    },
    get opened() {
      return opened;
    },
    sent,
  };
}
