/**
 * What @graphiql/react's formatJSONC gets for `prettier/standalone` (web-build.js resolves it here
 * for that one module): the variables and headers editors' "prettify", with jsonc-parser's
 * formatter instead of prettier's babel and estree plugins (140 KiB gzipped). Like prettier with
 * printWidth 0: comments kept, one property or element a line, two spaces, a final newline; and
 * like it, text that is not JSON (comments and trailing commas allowed) is refused, so GraphiQL
 * leaves it as typed.
 */
import { applyEdits, format as formatEdits, parse, ParseError, printParseErrorCode } from 'jsonc-parser';

export async function format(content: string, _options?: unknown): Promise<string> {
  const errors: ParseError[] = [];
  parse(content, errors, { allowTrailingComma: true, allowEmptyContent: true });
  if (errors.length > 0) throw new SyntaxError(`not JSON: ${printParseErrorCode(errors[0].error)} at offset ${errors[0].offset}`);
  const edits = formatEdits(content, undefined, { tabSize: 2, insertSpaces: true, eol: '\n', insertFinalNewline: true });
  return applyEdits(content, edits);
}
