// An S3-compatible server for tests (s3rver), as its own process on 127.0.0.1: prints {"port":N}
// once listening and runs until killed. Run with --openssl-legacy-provider (paged listings need it).
import S3rver from 's3rver';

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
