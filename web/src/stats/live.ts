import { createClient } from 'graphql-ws';
import { useContext, useEffect } from 'react';
import { QueryCacheContext, RefreshContext } from './graphql';

/**
 * What the page listens for: a change to the figures its view reads, anywhere (the tables span
 * every unit): its indicator's, or for the 766 index the fact kinds it scores from and the
 * portal's published scores.
 */
const FIGURES_CHANGED = `subscription PageFiguresChanged($indicators: [Indicator!], $kinds: [FactType!]) {
  figuresChanged(indicators: $indicators, kinds: $kinds) { dataVersion }
}`;

export type LiveInterest = { indicators: string[] } | { kinds: string[] };

/**
 * Live refresh (issue 13, item 4): a graphql-ws subscription to `figuresChanged` on the page's
 * own origin (ws: or wss:, ./graphql as for queries; the CSP's connect-src 'self' covers it).
 * An event empties the page's query cache and bumps the refresh generation: every view on
 * screen asks again (keeping what it shows until the answer comes). The gateway already
 * coalesces bursts (at most one event per LIVE_COALESCE_MS).
 */
export function useLiveRefresh(interest: LiveInterest): void {
  const cache = useContext(QueryCacheContext);
  const { bump } = useContext(RefreshContext);
  // The subscription is made again only when what it asks for changes, not at each render.
  const key = JSON.stringify(interest);
  useEffect(() => {
    if (typeof WebSocket === 'undefined') return;
    const url = new URL('graphql', document.baseURI);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    // Reconnects with graphql-ws's backoff (a gateway restarting, a network change), then gives up quietly: the page still works without.
    const client = createClient({ url: url.href, retryAttempts: 10, shouldRetry: () => true });
    const stop = client.subscribe<{ figuresChanged: { dataVersion: string } }>(
      { query: FIGURES_CHANGED, variables: JSON.parse(key) as LiveInterest },
      {
        next: (r) => {
          if (!r.data) return;
          cache?.clear();
          bump(r.data.figuresChanged.dataVersion);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    return () => {
      stop();
      void client.dispose();
    };
  }, [cache, bump, key]);
}
