// Checks that Chromium starts and can screenshot a page, without any server:
// `scripts/e2e --smoke`.
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';

const dir = process.env.SCREENSHOTS || 'screenshots';
mkdirSync(dir, { recursive: true });
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
  const html = '<!doctype html><title>pcn e2e smoke</title>'
    + '<h1 id="hello">Hello from headless Chromium</h1>'
    + '<svg class="map" width="200" height="80"><rect width="200" height="80" fill="#005eb8"/></svg>';
  await page.goto('data:text/html,' + encodeURIComponent(html));
  assert.equal(await page.locator('#hello').innerText(), 'Hello from headless Chromium');
  assert.equal(await page.locator('svg.map').count(), 1);
  const path = join(dir, '00-smoke.png');
  await page.screenshot({ path, fullPage: true });
  assert.ok(statSync(path).size > 1000, 'screenshot is not empty');
  console.log(`ok - ${browser.version()} screenshotted a data: URL page to ${path}`);
} finally {
  await browser.close();
}
