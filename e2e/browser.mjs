// Starting headless Chromium for the e2e journeys: Debian's /usr/bin/chromium
// driven by playwright-core (no browser download). chromium.launch gives the
// browser a fresh temporary user-data-dir of its own and removes it on close.
// The background-networking flags matter: on a closed network Chromium's own
// background connections otherwise get in the way.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}
