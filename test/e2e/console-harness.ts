// End-to-end harness for the console: the real broker (startTestApp, embedded store) serving the
// production build of the console, the real simulator as a child process, Debian's Chromium driven
// by playwright-core. Everything started here is stopped by t.after.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ConfigInput } from '../../broker/src/config.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { waitFor } from '../support/net.ts';
import { startSim } from '../support/simulator.ts';
import { mintToken } from '../support/tokens.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const jwtSecret = 'e2e-console-secret-0123456789abcdef';
export const adminPassword = 'e2e-admin-password';
const outputDir = process.env.TELEMQ_TEST_OUTPUT ?? path.join(root, '.test-output');

export const chromiumOptions = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
};

export function assertConsoleBuilt(): void {
  if (!existsSync(path.join(root, 'console/dist/index.html'))) throw new Error('console/dist is missing: run `npm run build` first (scripts/test.mjs does)');
}

export function brokerConfig(input: ConfigInput = {}): ConfigInput {
  return { auth: { mode: 'required', jwtSecret, adminPassword }, ...input };
}

/** where cleanups go: a TestContext, or node:test's after() for a shared stack */
export interface Cleanup {
  after(fn: () => unknown): void;
}

export async function startBroker(t: Cleanup, input: ConfigInput = {}, options: { dataDir?: string } = {}): Promise<TestApp> {
  assertConsoleBuilt();
  const server = await startTestApp(brokerConfig(input), options);
  t.after(() => server.close());
  return server;
}

export function signToken(claims: { sub: string; role: string }, ttlSec = 3600): Promise<string> {
  return mintToken(claims, { key: jwtSecret, ttlSec });
}

export interface Simulator {
  output(): string;
  /** SIGSTOP / SIGCONT: the devices stay connected but go silent, then resume */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** `npm run sim -- --url … --devices N --interval … --secret S --prefix P`, from source. */
export function startSimulator(t: Cleanup, wsUrl: string, opts: { devices: number; interval: string; prefix: string }): Simulator {
  const sim = startSim(['--url', wsUrl, '--devices', String(opts.devices), '--interval', opts.interval, '--secret', jwtSecret, '--prefix', opts.prefix, '--seed', '7'], { keepChars: 20_000 });
  const stop = async () => {
    if (sim.child.exitCode === null && sim.child.signalCode === null) sim.child.kill('SIGCONT');
    await sim.stop({ signal: 'SIGINT', killAfterMs: 5000 });
  };
  t.after(stop);
  return { output: () => sim.stdout() + sim.stderr(), pause: () => void sim.child.kill('SIGSTOP'), resume: () => void sim.child.kill('SIGCONT'), stop };
}

export interface ConsolePage {
  browser: Browser;
  page: Page;
  /** console errors and uncaught exceptions seen so far */
  errors: string[];
  screenshot(name: string): Promise<string>;
  /** the page at 1366x800 and 390x844, light and dark, under .test-output/screenshots */
  screenshots(name: string): Promise<string[]>;
}

export const screenSizes = [
  { width: 1366, height: 800 },
  { width: 390, height: 844 },
] as const;

/** Waits until the page painted twice (layout, then uPlot's redraw after a resize). */
export async function settled(page: Page): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0); new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  if ((await page.getAttribute('html', 'data-theme')) !== theme) await page.click('[data-test=theme]');
  await page.waitForSelector(`html[data-theme=${theme}]`);
  await settled(page);
}

export async function openConsole(t: Cleanup, url: string, viewport = { width: 1366, height: 800 }): Promise<ConsolePage> {
  const browser = await chromium.launch(chromiumOptions);
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(url);
  return {
    browser,
    page,
    errors,
    async screenshot(name) {
      mkdirSync(outputDir, { recursive: true });
      const file = path.join(outputDir, `console-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async screenshots(name) {
      const dir = path.join(outputDir, 'screenshots');
      mkdirSync(dir, { recursive: true });
      const files: string[] = [];
      const restore = page.viewportSize();
      const hasThemeButton = (await page.locator('[data-test=theme]').count()) > 0;
      for (const theme of hasThemeButton ? (['light', 'dark'] as const) : ([null] as const)) {
        if (theme) await setTheme(page, theme);
        for (const size of screenSizes) {
          await page.setViewportSize(size);
          await settled(page);
          const file = path.join(dir, `${name}-${size.width}x${size.height}${theme ? `-${theme}` : ''}.png`);
          await page.screenshot({ path: file, fullPage: true });
          files.push(file);
        }
      }
      if (hasThemeButton) await setTheme(page, 'light');
      if (restore) await page.setViewportSize(restore);
      await settled(page);
      return files;
    },
  };
}

export async function loginWithPassword(page: Page, username: string, password: string): Promise<void> {
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-test=connection]');
}

export async function loginWithToken(page: Page, token: string): Promise<void> {
  await page.check('input[type=radio][value=token]');
  await page.fill('textarea[name=token]', token);
  await page.click('button[type=submit]');
}

export async function waitForText(page: Page, selector: string, re: RegExp, timeoutMs = 15_000): Promise<string> {
  return waitFor(
    async () => {
      const text = await page.textContent(selector).catch(() => null);
      return text !== null && re.test(text) ? text : null;
    },
    timeoutMs,
    `${selector} to match ${re}`,
  );
}

/** What uPlot computed for each live chart on the device page, read in the page. */
export interface ChartFacts {
  field: string;
  kind: string;
  unit: string;
  firstDrawPoints: number;
  /** epoch s of the first point */
  firstX: number;
  xMin: number;
  xMax: number;
  /** css px uPlot gave the y axis, and the widest y tick label measured in its font */
  ySize: number;
  yWidestPx: number;
  yValues: string[];
  xValues: string[];
  xWidestPx: number;
  plotWidthPx: number;
  dataMin: number;
  dataMax: number;
}

/** evaluated in the page (a string keeps browser globals out of the test's types) */
export const chartFacts = `(() => [...document.querySelectorAll('[data-chart]')].map((panel) => {
  const fig = panel.querySelector('figure');
  const u = panel.querySelector('.plot').uplot;
  const ctx = document.createElement('canvas').getContext('2d');
  const widest = (axis) => { ctx.font = axis.font[0]; return Math.max(0, ...(axis._values || []).map((v) => ctx.measureText(v).width)) / devicePixelRatio; };
  const ys = u.data[1].filter((v) => v != null);
  return {
    field: panel.dataset.chart, kind: fig.dataset.kind, unit: fig.dataset.unit,
    firstDrawPoints: Number(fig.dataset.firstDrawPoints), firstX: u.data[0][0],
    xMin: u.scales.x.min, xMax: u.scales.x.max,
    ySize: u.axes[1]._size, yWidestPx: widest(u.axes[1]), yValues: u.axes[1]._values || [],
    xValues: u.axes[0]._values || [], xWidestPx: widest(u.axes[0]), plotWidthPx: u.bbox.width / devicePixelRatio,
    dataMin: Math.min(...ys), dataMax: Math.max(...ys),
  };
}))()`;
