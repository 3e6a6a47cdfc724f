import { spawn } from 'node:child_process';

import { fileURLToPath } from 'node:url';
import { tempDir } from './procs.js';

export interface TestS3 {
  endpoint: string;
  env: NodeJS.ProcessEnv;
  stop(): void;
}

/** Starts s3rver (a real process, bounded wait) with the given buckets; env points the SDK at it. */
export async function startS3(buckets: string[]): Promise<TestS3> {
  const main = fileURLToPath(new URL('./s3rver-main.mjs', import.meta.url));
  const proc = spawn(process.execPath, ['--openssl-legacy-provider', main, tempDir('s3rver-'), ...buckets], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('s3rver did not start within 20 s')), 20_000);
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    stop: () => void proc.kill('SIGKILL'),
  };
}

