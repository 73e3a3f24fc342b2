// Starts the real `web` binary for the browser tests: a free port (port 0, the public URL read
// from its "listening" log line), a temporary SQLite database, simulator mode, the `file` mail
// transport, and an admin account made with `ops staff add` (its password on standard input).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const STAFF = { email: 'admin@example.com', password: 'browser-test-password', name: 'Browser Admin' };

/** The binaries of a `cargo build --bin web --bin ops` (debug, or release when that is all there is). */
function binary(name) {
  const target = process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target');
  for (const profile of ['debug', 'release']) {
    const p = path.join(target, profile, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`no ${name} binary under ${target}: run \`cargo build --bin web --bin ops\` first`);
}

/** A running `web`: `origin` (http://127.0.0.1:PORT) and `stop()`. `env` adds settings. */
export async function startWeb(env = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'wetech-browser-'));
  const settings = {
    ...process.env,
    WETECH__ENVIRONMENT: 'development',
    WETECH__SERVER__HOST: '127.0.0.1',
    WETECH__SERVER__PORT: '0',
    WETECH__DATABASE__URL: `sqlite://${dir}/wetech.sqlite3`,
    WETECH__LOG__DIR: `${dir}/logs`,
    WETECH__STORAGE__MEDIA_DIR: `${dir}/media`,
    WETECH__MAIL__DIR: `${dir}/mail`,
    WETECH__PAYMENTS__MODE: 'simulator',
    // The metrics listener on a free port too (its default, 9464, may be taken).
    WETECH__OBSERVABILITY__METRICS_ADDR: '127.0.0.1:0',
    // Every page is visited in two languages at two sizes: far more lead forms than a person sends.
    WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE: '100000',
    ...env,
  };
  const child = spawn(binary('web'), [], { env: settings, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web did not start:\n${log}`)), 30_000);
    const read = (chunk) => {
      log += chunk;
      // The site's own "listening" line names the public URL; the metrics listener's line
      // has an address of its own, which is not the site.
      const m = log.match(/"public_url":"(http:\/\/127\.0\.0\.1:\d+)"/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`web exited with ${code}:\n${log}`)));
  });
  // The database exists now (web applied the migrations): make the staff account.
  const staff = spawnSync(binary('ops'), ['staff', 'add', STAFF.email, '--name', STAFF.name, '--role', 'admin'], {
    env: settings,
    input: `${STAFF.password}\n`,
    encoding: 'utf8',
  });
  if (staff.status !== 0) {
    child.kill();
    throw new Error(`ops staff add failed: ${staff.stderr}`);
  }
  return {
    origin,
    log: () => log,
    async stop() {
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
