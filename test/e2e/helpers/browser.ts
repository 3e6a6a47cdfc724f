/**
 * Headless Chromium for UI tests: Debian's package (the playwright-core driver never downloads a
 * browser). Installed here on first use when missing, as the test setup; where it cannot be
 * installed the caller skips with the reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function findChromium(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

/** The browser's path, installing Debian's chromium with apt-get when it is missing; or why not. */
export function ensureChromium(): { path: string } | { reason: string } {
  const found = findChromium();
  if (found) return { path: found };
  const root = process.getuid?.() === 0;
  const apt = (args: string[]) =>
    execFileSync(root ? 'apt-get' : 'sudo', root ? args : ['-n', 'apt-get', ...args], {
      stdio: 'ignore', timeout: 540_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    try {
      apt(['install', '-y', '-q', 'chromium']);
    } catch {
      apt(['update', '-q']);
      apt(['install', '-y', '-q', 'chromium']);
    }
  } catch (e) {
    return { reason: `chromium is not installed and apt-get could not install it (${(e as Error).message.split('\n')[0]})` };
  }
  const path = findChromium();
  return path ? { path } : { reason: 'apt-get installed chromium but no binary is at /usr/bin/chromium' };
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // the machine's network is closed: without these Chromium keeps dialling Google's hosts
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
}
