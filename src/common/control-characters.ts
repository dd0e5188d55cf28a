/**
 * The one rule for control characters in strings a client sends (GraphQL arguments and variables,
 * batch files, synced rows): C0 controls (U+0000..U+001F) and DEL (U+007F) are refused, except
 * tab, line feed and carriage return. Those three are ordinary whitespace in text (a plan title
 * pasted from a document spans lines; CSV and JSON carry them quoted or escaped) and PostgreSQL
 * stores them. The others never belong in a name, code or title: NUL is refused by PostgreSQL in
 * text (which turned it into an internal error), and the rest are invisible, come from corrupted
 * files or from attempts to forge log lines and terminal escapes.
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, 'g');

const codePoint = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `value` is refused (the first control character and where), or undefined when it is clean. */
export function controlCharacterProblem(value: string): string | undefined {
  const m = FORBIDDEN.exec(value);
  if (!m) return undefined;
  return `contains the control character ${codePoint(m[0])} at position ${m.index} (only tab, line feed and carriage return are allowed)`;
}

/**
 * `value` with each forbidden control character written as `\u0000`: for echoing untrusted text
 * in problems and run records (PostgreSQL text refuses NUL; a log line must not carry escapes).
 */
export function escapeControlCharacters(value: string): string {
  return value.replace(FORBIDDEN_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
