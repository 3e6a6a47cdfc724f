import { afterEach, describe, expect, it, vi } from 'vitest';
import type { wire } from '@mr/shared';
import { byteProgress, copyProgress, jobProgress, type ProgressStream } from './progress.js';

function stream(isTTY: boolean): ProgressStream & { text: string } {
  const s = {
    isTTY,
    columns: 120,
    text: '',
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s;
}

const status = (mapsDone: number, mapsTotal: number, reducesDone: number, reducesTotal: number, state = 'RUNNING'): wire.JobStatus => ({
  id: 'job-1', name: 'wordcount', state, error: '', counters: {}, startedAt: '', finishedAt: '', elapsedMs: 0,
  mapsDone, mapsTotal, reducesDone, reducesTotal,
});

/** A clock the test moves by hand. */
function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

// cursor movement, line clearing and the bar's own characters, so the text can be read
const plain = (s: string) => s.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '');

describe('job progress: not a TTY', () => {
  it('prints one plain line per phase when it completes, timed by the clock', () => {
    const out = stream(false);
    const c = clock();
    const p = jobProgress(out, c.now);
    p.update(status(0, 24, 0, 3));
    c.advance(1_500);
    p.update(status(12, 24, 0, 3));
    expect(out.text).toBe('');
    c.advance(1_600);
    p.update(status(24, 24, 0, 3));
    expect(out.text).toBe('map: 24/24 tasks in 3.1 s\n');
    c.advance(400);
    p.update(status(24, 24, 2, 3));
    // a map re-run after the phase ended does not reopen it or print again
    p.update(status(23, 24, 2, 3));
    c.advance(400);
    p.update(status(24, 24, 3, 3, 'SUCCEEDED'));
    p.stop();
    p.stop();
    expect(out.text).toBe('map: 24/24 tasks in 3.1 s\nreduce: 3/3 tasks in 0.8 s\n');
  });

  it('a job that ends before a phase completes prints nothing for that phase', () => {
    const out = stream(false);
    const p = jobProgress(out, clock().now);
    p.update(status(3, 5, 0, 1));
    p.update(status(3, 5, 0, 1, 'FAILED'));
    p.stop();
    expect(out.text).toBe('');
  });

  it('phases seen complete in the first poll are still reported, once each', () => {
    const out = stream(false);
    const p = jobProgress(out, clock().now);
    p.update(status(2, 2, 1, 1, 'SUCCEEDED'));
    p.update(status(2, 2, 1, 1, 'SUCCEEDED'));
    p.stop();
    expect(out.text).toBe('map: 2/2 tasks in 0.0 s\nreduce: 1/1 tasks in 0.0 s\n');
  });
});

describe('job progress: a TTY', () => {
  it('draws a map and a reduce bar and finishes them on stop, with no phase lines', () => {
    const out = stream(true);
    const c = clock();
    const p = jobProgress(out, c.now);
    p.update(status(0, 4, 0, 2));
    c.advance(2_000);
    p.update(status(4, 4, 1, 2));
    c.advance(500);
    p.update(status(4, 4, 2, 2, 'SUCCEEDED'));
    p.stop();
    const text = plain(out.text);
    expect(text).not.toMatch(/tasks in/);
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    // the final state, as stop() leaves it: both bars full, with each phase's own time
    expect(lines.at(-2)).toMatch(/^map +\[.+\] 100% \| 4\/4 tasks \| 2\.0 s$/);
    expect(lines.at(-1)).toMatch(/^reduce \[.+\] 100% \| 2\/2 tasks \| 0\.5 s$/);
    expect(out.text.endsWith('\n')).toBe(true);
    // nothing more is drawn once stopped (the redraw timer is gone)
    const after = out.text;
    p.update(status(4, 4, 2, 2, 'SUCCEEDED'));
    p.stop();
    expect(out.text).toBe(after);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('redraws the bars in place between polls (cli-progress\'s own timer)', () => {
    vi.useFakeTimers();
    const out = stream(true);
    const c = clock();
    const p = jobProgress(out, c.now);
    p.update(status(1, 4, 0, 2));
    vi.advanceTimersByTime(150);
    expect(plain(out.text)).toMatch(/^map +\[.+\] 25% \| 1\/4 tasks \| 0\.0 s\nreduce \[.+\] 0% \| 0\/2 tasks \| -$/);
    c.advance(1_000);
    p.update(status(3, 4, 0, 2));
    vi.advanceTimersByTime(150);
    // the second frame starts by moving the cursor back up over the first
    expect(out.text).toMatch(/\x1b\[1A/);
    expect(plain(out.text)).toMatch(/map +\[.+\] 75% \| 3\/4 tasks \| 1\.0 s/);
    p.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop before any poll draws nothing', () => {
    const out = stream(true);
    const p = jobProgress(out, clock().now);
    p.stop();
    expect(out.text).toBe('');
  });
});

describe('byte progress (mr fs put/get, mr gen)', () => {
  it('draws a bar of bytes on a TTY and clears it when done', () => {
    const out = stream(true);
    const bar = byteProgress('put bs://a/b', 4 * 1048576, out);
    bar.update(1048576);
    bar.done();
    bar.done();
    expect(plain(out.text)).toMatch(/put bs:\/\/a\/b \[.+\] \d+% \| [\d.]+ MiB of 4\.0 MiB/);
    // cleared: the last thing written erases the line, and no newline is left behind
    expect(out.text.endsWith('\x1b[2K')).toBe(true);
    expect(out.text).not.toMatch(/\n/);
  });

  it('shows only the count when the total is unknown', () => {
    const out = stream(true);
    const bar = byteProgress('gen records 1/2', undefined, out);
    bar.update(3 * 1048576);
    bar.done();
    expect(plain(out.text)).toMatch(/gen records 1\/2: [\d.]+ MiB/);
  });

  it('writes nothing when not a TTY', () => {
    const out = stream(false);
    const bar = byteProgress('get bs://a', 10, out);
    bar.update(5);
    bar.done();
    expect(out.text).toBe('');
  });
});

describe('copy progress (mr fs put -r, get -r, getmerge)', () => {
  it('draws bytes and files done on a TTY and clears the bar when done', () => {
    const out = stream(true);
    const bar = copyProgress('put bs://tree', 4 * 1048576, 12, out);
    bar.update(2 * 1048576, 5);
    bar.done();
    bar.done();
    expect(plain(out.text)).toMatch(/put bs:\/\/tree \[.+\] 50% \| 5\/12 files \| 2\.0 MiB of 4\.0 MiB/);
    expect(out.text.endsWith('\x1b[2K')).toBe(true);
  });

  it('one file: no file count; an empty copy is complete, not NaN%', () => {
    const one = stream(true);
    const bar = copyProgress('put s3://b/k', 1048576, 1, one);
    bar.update(1048576, 1);
    bar.done();
    expect(plain(one.text)).toMatch(/put s3:\/\/b\/k \[.+\] 100% \| 1\.0 MiB of 1\.0 MiB/);
    expect(plain(one.text)).not.toMatch(/files/);
    const empty = stream(true);
    const e = copyProgress('get -r', 0, 3, empty);
    e.update(0, 3);
    e.done();
    expect(plain(empty.text)).toMatch(/100% \| 3\/3 files/);
  });

  it('writes nothing when not a TTY', () => {
    const out = stream(false);
    const bar = copyProgress('get bs://a', 10, 2, out);
    bar.update(5, 1);
    bar.done();
    expect(out.text).toBe('');
  });
});
