/**
 * Feed throughput benchmark (not part of the jest suite):
 *   npm run bench:feed -- [provinces=01,79,38] [size=5000]
 * Measures in-process generation (feed.page into a buffer) and end-to-end HTTP paging.
 */
import { startSimulator } from '../src/simulator';
import { AsciiWriter } from '../src/simulator/ascii.writer';
import type { FeedPosition } from '../src/simulator/dossier-feed.index';

async function main(): Promise<void> {
  const provinces = (process.argv[2] ?? '01,79,38').split(',');
  const size = Number(process.argv[3] ?? 5000);
  const t0 = Date.now();
  const sim = await startSimulator({ scale: 'national', port: 0 });
  console.log(`national world: ${sim.world.services.length} services, built in ${Date.now() - t0} ms`);
  try {
    let dossiers = 0;
    let seconds = 0;
    for (const code of provinces) {
      const start = process.hrtime.bigint();
      let from: FeedPosition | null = null;
      let n = 0;
      for (;;) {
        const page = sim.world.feed.page(code, { from, to: null, offset: 0, size }, new AsciiWriter(size * 420));
        n += page.count;
        if (page.count < size) break;
        from = page.last;
      }
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      dossiers += n;
      seconds += s;
      console.log(`generation ${code}: ${n} dossiers in ${s.toFixed(2)} s = ${Math.round(n / s)}/s`);
    }
    console.log(`generation overall: ${Math.round(dossiers / seconds)} dossiers/s`);

    for (const code of provinces) {
      const tokenRes = await fetch(`${sim.url}/igate/${code}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'sim-client', client_secret: 'sim-secret' }),
      });
      const token = ((await tokenRes.json()) as { access_token: string }).access_token;
      const start = Date.now();
      let cursor: string | null = null;
      let n = 0;
      let bytes = 0;
      for (;;) {
        const q: string = cursor ? `cursor=${cursor}&size=${size}` : `size=${size}`;
        const res = await fetch(`${sim.url}/igate/${code}/api/dossiers?${q}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        bytes += text.length;
        // Only the envelope's tail is read: client-side parsing is not what is measured.
        const tail = JSON.parse(`{${text.slice(text.lastIndexOf('"numberOfElements"'))}`) as { numberOfElements: number; nextCursor: string | null };
        n += tail.numberOfElements;
        cursor = tail.nextCursor;
        if (tail.numberOfElements < size) break;
      }
      const s = (Date.now() - start) / 1000;
      console.log(`http ${code}: ${n} dossiers, ${(bytes / 1e6).toFixed(0)} MB in ${s.toFixed(2)} s = ${Math.round(n / s)}/s`);
    }
  } finally {
    await sim.close();
  }
}

void main();
