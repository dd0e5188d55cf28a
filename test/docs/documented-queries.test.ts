import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/common/free-port';
import { GatewayProcess, stopCluster, tempDir } from '../resilience/gateway-process';
import { comparable, DOCUMENTED_FILES, documentedQueries, printedAnswer, withAnswers } from './documented-answers';

/**
 * Every query of README.md, docs/queries.md and docs/demo.md, run against the default world as
 * `npm start` serves it: the compiled gateway (dist/src/main.js) as a child process on a free
 * loopback port, its own embedded PostgreSQL in a temporary folder, the in-process simulator at
 * its default seed and scale, config/sources.json, the first sync. Each answer must be what the
 * doc prints, apart from timestamps (documented-answers.ts). UPDATE_DOCS=1 (`npm run
 * docs:update`) writes the answers into the docs instead.
 *
 * Schedules are off (SYNC_SCHEDULES=off) so that no cron sync (the feeds every 30 minutes) runs
 * between the first sync and the queries; nothing else differs from `npm start`.
 */
const ROOT = path.join(__dirname, '../..');
const UPDATE = Boolean(process.env.UPDATE_DOCS);

let dir: string;
let gateway: GatewayProcess;

beforeAll(async () => {
  dir = tempDir('dvc-docs-');
  // The default world whatever the shell says: an empty value counts as unset for these (config.ts).
  const defaults = { DATABASE_URL: '', SIMULATOR_URL: '', SOURCES_FILE: '', SYNC_ON_START: '' };
  const env = { ...defaults, DATA_DIR: `${dir}/pg`, EMBEDDED_PG_PORT: String(await freePort()), SYNC_SCHEDULES: 'off', RATE_LIMIT_MAX: '0' };
  // The first start measured 26-39 s on 2 cores with other suites running; 180 s leaves room.
  gateway = await GatewayProcess.start(env, { timeoutMs: 180_000 });
}, 200_000);

afterAll(async () => {
  await gateway?.stop();
  await stopCluster(`${dir}/pg`);
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The answer's `data`, printed as the docs print it; any error fails the doc. */
async function answer(query: string): Promise<string> {
  const res = await gateway.gql(query);
  if (res.status !== 200 || res.body?.errors) throw new Error(`the query answered ${res.status} ${JSON.stringify(res.body?.errors)}:\n${query}`);
  return printedAnswer(res.body.data);
}

describe.each(DOCUMENTED_FILES)('%s', (file) => {
  it('answers every query as printed (timestamps aside)', async () => {
    const full = path.join(ROOT, file);
    const markdown = fs.readFileSync(full, 'utf8');
    const queries = documentedQueries(markdown);
    expect(queries.length).toBeGreaterThan(0);
    const answers: string[] = [];
    for (const q of queries) answers.push(await answer(q.query));
    if (UPDATE) {
      fs.writeFileSync(full, withAnswers(markdown, answers));
      return;
    }
    // Named by line, so a failure says which query drifted.
    const expected = queries.map((q) => ({ line: q.line, answer: q.printed === null ? '(no json block after the query)' : comparable(q.printed) }));
    const actual = queries.map((q, i) => ({ line: q.line, answer: comparable(answers[i]) }));
    expect(actual).toEqual(expected);
  }, 120_000);
});
