// Browser end-to-end journeys for `pcn serve`, run by scripts/e2e against a
// fresh demo database. Each journey logs in fresh in a new browser context,
// checks what a person would see, and takes full-page screenshots into
// $SCREENSHOTS. The first failure prints the page's URL and a piece of its
// text, saves a screenshot of it and exits non-zero.
//
// Environment: BASE_URL (http://127.0.0.1:PORT), PCN_DEMO_PASSWORD (the demo
// accounts' password), SCREENSHOTS (folder; default target/e2e-screenshots),
// CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const PASSWORD = process.env.PCN_DEMO_PASSWORD || '';
const SCREENSHOTS = process.env.SCREENSHOTS || 'target/e2e-screenshots';
const TIMEOUT = 10_000;

// The inline SVG charts the contract names, by page.
const CHART = {
  map: 'svg.map', // commissioner page: practices on a map
  bars: 'svg.bars', // commissioner page: list size per network
  monthly: 'svg.monthly', // network page: the monthly statement
  budget: 'svg.budget', // network page: the ARRS budget
};

if (!BASE_URL || !PASSWORD) {
  console.error('BASE_URL and PCN_DEMO_PASSWORD must be set (scripts/e2e sets both)');
  process.exit(2);
}
mkdirSync(SCREENSHOTS, { recursive: true });

// A reference for the staff member journey 3 adds, found again in the audit
// log by journey 5.
const PERSON = `E2E-${Date.now()}`;

const warnings = new Set();
let browser;
let currentPage = null; // the page a failure report describes

// ---- helpers ----------------------------------------------------------------

async function newSession(contextOptions = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    viewport: { width: 1280, height: 900 },
    ...contextOptions,
  });
  context.setDefaultTimeout(TIMEOUT);
  context.setDefaultNavigationTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (err) => warnings.add(`JavaScript error on ${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    // Failed loads are reported by the response listener below.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      warnings.add(`console error on ${new URL(page.url()).pathname}: ${msg.text()}`);
    }
  });
  page.on('response', (resp) => {
    const type = resp.request().resourceType();
    if (type !== 'document' && resp.status() >= 400) {
      warnings.add(`${resp.status()} for ${type} ${resp.url()} (from ${page.url()})`);
    }
    if (type === 'document' && resp.status() >= 500) {
      warnings.add(`${resp.status()} for page ${resp.url()}`);
    }
  });
  currentPage = page;
  return { context, page };
}

function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname;
}

async function shot(page, name) {
  // caret: 'initial' keeps Playwright from injecting a <style> (which a strict
  // Content-Security-Policy would report as a console error).
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true, caret: 'initial' });
}

async function bodySnippet(page, max = 800) {
  try {
    const text = await page.locator('body').innerText({ timeout: 2000 });
    const flat = text.replace(/\s+\n/g, '\n').replace(/\n{2,}/g, '\n').trim();
    return flat.length > max ? `${flat.slice(0, max)}…` : flat;
  } catch {
    try {
      return (await page.content()).slice(0, max);
    } catch {
      return '(page body unavailable)';
    }
  }
}

// page.goto that checks the final HTTP status (after redirects).
async function visit(page, path, expectedStatus = 200) {
  const resp = await page.goto(path, { waitUntil: 'load' });
  assert.ok(resp, `no response for ${path}`);
  assert.equal(resp.status(), expectedStatus,
    `GET ${path}: expected HTTP ${expectedStatus}, got ${resp.status()} (final URL ${page.url()})`);
  return resp;
}

// Clicks something that navigates (a link or a submit button) and waits for
// the resulting page, following redirects; returns the final response.
async function clickAndWait(page, locator) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    locator.click(),
  ]);
  return resp;
}

function submitButton(page, form) {
  return page.locator(
    `${form} button:not([type]), ${form} button[type=submit], ${form} input[type=submit]`,
  ).first();
}

async function login(page, username, password = PASSWORD) {
  await visit(page, '/login');
  await page.locator('form#login input[name=username]').fill(username);
  await page.locator('form#login input[name=password]').fill(password);
  return clickAndWait(page, submitButton(page, 'form#login'));
}

async function loginAndLand(page, username, home) {
  const resp = await login(page, username);
  assert.equal(pathOf(page), home, `${username} should land on ${home} after logging in`);
  assert.ok(resp && resp.status() === 200,
    `${username}'s home ${home} answered HTTP ${resp && resp.status()}`);
  await assertLoggedIn(page);
}

// Every page of a logged-in person has a logout form with a submit button.
async function assertLoggedIn(page) {
  const forms = page.locator('form#logout');
  assert.equal(await forms.count(), 1, `one form#logout expected on ${pathOf(page)}`);
  assert.equal(await submitButton(page, 'form#logout').count(), 1,
    `form#logout on ${pathOf(page)} has no submit button`);
}

// Waits for a visible element, failing with a plain message (and, for a
// missing chart, the classes of the <svg> elements the page does have).
async function expectVisible(page, selector, what) {
  try {
    await page.locator(selector).first().waitFor({ state: 'visible' });
  } catch (err) {
    let seen = '';
    if (selector.startsWith('svg')) {
      const classes = await page.locator('svg').evaluateAll(
        (els) => els.map((e) => e.getAttribute('class')).filter(Boolean),
      );
      seen = `; the page's <svg> classes: ${classes.map((c) => `"${c}"`).join(', ') || 'none'}`;
    }
    throw new Error(`${what}: no visible ${selector} on ${page.url()} within ${TIMEOUT / 1000} s${seen}`, { cause: err });
  }
}

async function pence(page, selector) {
  const el = page.locator(selector);
  await el.waitFor({ state: 'visible' });
  const raw = await el.getAttribute('data-pence');
  assert.ok(raw !== null, `${selector} has no data-pence attribute`);
  assert.match(raw.trim(), /^-?\d+$/, `${selector} data-pence should be an integer number of pence`);
  const text = (await el.innerText()).trim();
  return { pence: Number.parseInt(raw, 10), text };
}

function gbp(pennies) {
  return (Math.abs(pennies) / 100).toLocaleString('en-GB', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
}

// The human text of a money element shows the same amount as its data-pence.
function assertMoneyText(what, { pence: p, text }) {
  assert.ok(text.includes('£'), `${what} text should show pounds (£), got "${text}"`);
  assert.ok(text.includes(`£${gbp(p)}`) || text.includes(`£ ${gbp(p)}`),
    `${what} text "${text}" should show £${gbp(p)} for data-pence=${p}`);
}

async function networkRows(page) {
  const rows = page.locator('table#networks tbody tr[data-pcn]');
  await page.locator('table#networks').waitFor({ state: 'visible' });
  const out = [];
  for (const row of await rows.all()) {
    out.push({ pcn: await row.getAttribute('data-pcn'), status: await row.getAttribute('data-status') });
  }
  return out;
}

async function assertRefused(page, path) {
  const resp = await page.goto(path, { waitUntil: 'load' });
  assert.ok(resp, `no response for ${path}`);
  assert.equal(resp.status(), 403, `GET ${path}: expected HTTP 403, got ${resp.status()} (final URL ${page.url()})`);
  assert.ok(await page.locator('.refusal').count() > 0, `the 403 page for ${path} has no .refusal element`);
}

function firstOfNextMonth(now = new Date()) {
  const d = new Date(now.getFullYear(), now.getMonth() + 1, 1); // local time
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// ---- the journeys ------------------------------------------------------------

const journeys = [];
const journey = (name, fn) => journeys.push({ name, fn });

journey('a wrong password shows an error and stays on /login', async () => {
  const { context, page } = await newSession();
  await visit(page, '/login');
  await page.locator('form#login').waitFor({ state: 'visible' });
  await shot(page, '01-login.png');
  await login(page, 'commissioner', `not-${PASSWORD}`);
  assert.equal(pathOf(page), '/login', 'a wrong password should leave the person on /login');
  await page.locator('.error').first().waitFor({ state: 'visible' });
  assert.ok(await page.locator('form#login').isVisible(), 'the login form should be shown again');
  assert.equal(await page.locator('form#logout').count(), 0, 'nobody should be logged in');
  await shot(page, '01-login-error.png');
  await context.close();
});

journey('a commissioner finds the networks that break a rule', async () => {
  const { context, page } = await newSession();
  await loginAndLand(page, 'commissioner', '/commissioners/Z1A');
  const all = await networkRows(page);
  const codes = all.map((r) => r.pcn);
  for (const code of ['U90001', 'U90003', 'U90009']) {
    assert.ok(codes.includes(code), `${code} should be listed under Z1A; rows: ${codes.join(' ')}`);
  }
  for (const r of all) {
    assert.ok(['error', 'warning', 'ok'].includes(r.status), `row ${r.pcn} has data-status=${r.status}`);
  }
  await expectVisible(page, CHART.map, 'the map of practices');
  await expectVisible(page, CHART.bars, 'the list-size bar chart');
  await shot(page, '02-commissioner-overview.png');

  const resp = await clickAndWait(page, page.locator('a#only-breaches'));
  assert.equal(resp && resp.status(), 200, 'the breaches page should answer 200');
  const url = new URL(page.url());
  assert.equal(url.pathname, '/commissioners/Z1A');
  assert.equal(url.searchParams.get('status'), 'error', 'a#only-breaches should filter with ?status=error');
  await assertLoggedIn(page);
  const breaches = await networkRows(page);
  assert.ok(breaches.length > 0, 'the filtered list should not be empty');
  for (const r of breaches) {
    assert.equal(r.status, 'error', `filtered row ${r.pcn} has data-status=${r.status}`);
  }
  const breachCodes = breaches.map((r) => r.pcn);
  assert.ok(breachCodes.includes('U90009'), `U90009 should break a rule; listed: ${breachCodes.join(' ')}`);
  assert.ok(breachCodes.includes('U90003'), `U90003 should break a rule; listed: ${breachCodes.join(' ')}`);
  assert.ok(!breachCodes.includes('U90001'), `U90001 should not be listed; listed: ${breachCodes.join(' ')}`);
  await shot(page, '03-commissioner-breaches.png');

  // A commissioner reads a network's ARRS roster but cannot add to it.
  await visit(page, '/networks/U90001/arrs');
  await assertLoggedIn(page);
  await page.locator('table#roster').waitFor({ state: 'visible' });
  assert.equal(await page.locator('form#add-post').count(), 0, 'a commissioner should see no form#add-post');
  await context.close();
});

journey('a network manager adds a staff member and the ARRS headroom falls', async () => {
  const { context, page } = await newSession();
  await loginAndLand(page, 'network', '/networks/U90001');
  assertMoneyText('#arrs-headroom on the network page', await pence(page, '#arrs-headroom'));
  await expectVisible(page, CHART.monthly, 'the monthly statement chart');
  await expectVisible(page, CHART.budget, 'the ARRS budget chart');
  await shot(page, '04-network.png');

  let resp = await clickAndWait(page, page.locator('a#statement-link'));
  assert.equal(pathOf(page), '/networks/U90001/statement');
  assert.equal(resp && resp.status(), 200, 'the statement page should answer 200');
  await assertLoggedIn(page);
  await shot(page, '05-statement.png');

  await visit(page, '/networks/U90001');
  resp = await clickAndWait(page, page.locator('a#roster-link'));
  assert.equal(pathOf(page), '/networks/U90001/arrs');
  assert.equal(resp && resp.status(), 200, 'the ARRS page should answer 200');
  await assertLoggedIn(page);
  const before = await pence(page, '#arrs-headroom');
  assertMoneyText('#arrs-headroom on the ARRS page', before);
  await page.locator('table#roster').waitFor({ state: 'visible' });
  await shot(page, '06-arrs-before.png');

  const form = page.locator('form#add-post');
  await form.waitFor({ state: 'visible' });
  const start = firstOfNextMonth();
  await form.locator('input[name=person]').fill(PERSON);
  await form.locator('select[name=role]').selectOption('paramedic');
  await form.locator('[name=band]').fill('7');
  await form.locator('[name=wte]').fill('1.0');
  const startInput = form.locator('input[name=start]');
  assert.equal(await startInput.getAttribute('type'), 'date', 'start should be an input type=date');
  await startInput.fill(start);
  assert.equal(await form.locator('[name=salary]').count(), 1, 'form#add-post should have a salary field');
  resp = await clickAndWait(page, submitButton(page, 'form#add-post'));
  assert.equal(pathOf(page), '/networks/U90001/arrs', 'adding a post should come back to the ARRS page');
  assert.equal(resp && resp.status(), 200, 'the ARRS page after adding should answer 200');
  await page.locator('.notice').first().waitFor({ state: 'visible' });
  const roster = page.locator('table#roster');
  await roster.getByText(PERSON).first().waitFor({ state: 'visible' });
  const after = await pence(page, '#arrs-headroom');
  assertMoneyText('#arrs-headroom after adding', after);
  assert.ok(after.pence < before.pence,
    `headroom should fall after adding a band 7 paramedic from ${start}: before ${before.pence}p, after ${after.pence}p`);
  await shot(page, '07-arrs-after.png');
  console.log(`    added ${PERSON} (paramedic, band 7, 1.0 WTE from ${start}): headroom ${before.text} -> ${after.text}`);

  await assertRefused(page, '/networks/U90002');
  await shot(page, '11-refused.png');
  await assertRefused(page, '/commissioners/Z1A');
  await context.close();

  // The network page on a phone.
  const phone = await newSession({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  await loginAndLand(phone.page, 'network', '/networks/U90001');
  await phone.page.locator('#arrs-headroom').waitFor({ state: 'visible' });
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 390) warnings.add(`the network page is ${width}px wide at a 390px phone width (scrolls sideways)`);
  await shot(phone.page, '12-network-phone.png');
  await phone.context.close();
});

journey('a practice manager sees the practice share', async () => {
  const { context, page } = await newSession();
  await loginAndLand(page, 'practice', '/practices/Z90001');
  const share = await pence(page, '#practice-share');
  assert.ok(share.pence > 0, `#practice-share data-pence should be > 0, got ${share.pence}`);
  assert.ok(share.text.startsWith('£'), `#practice-share text should start with £, got "${share.text}"`);
  assertMoneyText('#practice-share', share);
  await page.locator('table#practice-lines').waitFor({ state: 'visible' });
  await shot(page, '08-practice.png');
  await context.close();
});

journey('an admin sees the audit log and the imports page', async () => {
  const { context, page } = await newSession();
  await loginAndLand(page, 'admin', '/national');
  await visit(page, '/audit');
  await assertLoggedIn(page);
  await page.locator('table#audit').waitFor({ state: 'visible' });
  const mentions = page.locator('table#audit tr').filter({ hasText: PERSON });
  assert.ok(await mentions.count() > 0, `the audit log should have a row mentioning ${PERSON}`);
  await shot(page, '09-audit.png');

  await visit(page, '/imports');
  await assertLoggedIn(page);
  await page.locator('form#upload').waitFor({ state: 'visible' });
  assert.equal(await page.locator('form#upload input[type=file][name=file]').count(), 1,
    'form#upload should have a file input named file');
  await shot(page, '10-imports.png');
  await context.close();
});

journey('a viewer for Z2B reads but cannot change, and is refused Z1A', async () => {
  const { context, page } = await newSession();
  await loginAndLand(page, 'viewer', '/commissioners/Z2B');
  const rows = await networkRows(page);
  assert.ok(rows.length > 0, 'the Z2B overview should list networks');
  await visit(page, '/networks/U90005/arrs');
  await assertLoggedIn(page);
  await page.locator('#arrs-headroom').waitFor({ state: 'visible' });
  await page.locator('table#roster').waitFor({ state: 'visible' });
  assert.equal(await page.locator('form#add-post').count(), 0, 'a viewer should see no form#add-post');
  await assertRefused(page, '/commissioners/Z1A');
  await context.close();
});

journey('logging out ends the session', async () => {
  const { context, page } = await newSession();
  await loginAndLand(page, 'network', '/networks/U90001');
  await clickAndWait(page, submitButton(page, 'form#logout'));
  assert.equal(await page.locator('form#logout').count(), 0, 'no logout form after logging out');
  const resp = await page.goto('/networks/U90001', { waitUntil: 'load' });
  assert.equal(pathOf(page), '/login', `after logout /networks/U90001 should redirect to /login, ended on ${page.url()}`);
  assert.ok(resp.request().redirectedFrom(), '/networks/U90001 should answer with a redirect');
  await page.locator('form#login').waitFor({ state: 'visible' });
  await context.close();
});

// ---- run ---------------------------------------------------------------------

browser = await launch();
let passed = 0;
let failed = 0;
try {
  for (const [i, { name, fn }] of journeys.entries()) {
    const n = i + 1;
    try {
      await fn();
      passed += 1;
      console.log(`ok ${n} - ${name}`);
    } catch (err) {
      failed += 1;
      console.log(`not ok ${n} - ${name}`);
      console.log(`    ${String(err && err.message || err).split('\n').join('\n    ')}`);
      if (currentPage && !currentPage.isClosed()) {
        console.log(`    at: ${currentPage.url()}`);
        console.log(`    page text:\n      ${(await bodySnippet(currentPage)).split('\n').join('\n      ')}`);
        const failShot = `failed-${String(n).padStart(2, '0')}.png`;
        try {
          await shot(currentPage, failShot);
          console.log(`    screenshot: ${join(SCREENSHOTS, failShot)}`);
        } catch { /* the page may be gone */ }
      }
      break;
    }
  }
} finally {
  await browser.close();
}

for (const w of warnings) console.log(`warning: ${w}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed === journeys.length ? 0 : 1);
