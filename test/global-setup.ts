/**
 * Every test run gets its own temporary root, removed at the end of the run: TMPDIR points there
 * before the test processes start, so temporary dirs made by tests, by the `mr` processes they
 * start and by workers they SIGKILL (which never get to clean up) all go with it. Without this a
 * run left gigabytes behind in /tmp (fault tests write 200 MB files), and a shared machine filled up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'mr-tests-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
