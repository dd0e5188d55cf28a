/**
 * Addresses of upstream systems are internal: callers without an API key see them masked, in
 * sources (baseUrl, lastError) and in runs (error). One owner for the masking rule.
 */

/** A URL's origin with its host (and port, when it has one) masked: the scheme alone, which says how the source is reached. */
export function redactedOrigin(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//***${u.port ? ':****' : ''}`;
  } catch {
    return null;
  }
}

/**
 * Addresses in a free-text message (an upstream's error excerpt, a network error) masked the same
 * way: URLs down to their scheme, IP addresses and `localhost` with their ports.
 */
export function redactAddresses(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:)\/\/[^\s"'<>]+/gi, (_m, scheme: string) => `${scheme}//***`)
    .replace(/\[[0-9a-f.]*:[0-9a-f:.]*\](:\d+)?/gi, '***')
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '***')
    .replace(/\blocalhost(:\d+)?\b/gi, '***');
}
