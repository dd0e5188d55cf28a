/*
 * GraphiQL renders the schema's descriptions (the docs pane, hovers of its own) with markdown-it,
 * about 100 KB with its entity tables and linkifier; Monaco, on the same page, carries marked for
 * its hovers. web-build.js resolves `markdown-it` to this module: the one call GraphiQL makes,
 * `new MarkdownIt({ breaks: false, linkify: true }).render(text)`, answered by Monaco's marked
 * (GitHub-flavoured: bare URLs become links, as linkify did). As with markdown-it's default
 * (`html: false`), HTML written in a description is shown as text, never inserted as markup.
 * Plain JavaScript: Monaco's module path has no types.
 */
import { Marked } from 'monaco-editor/esm/vs/base/common/marked/marked.js';

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

export default class MarkdownIt {
  constructor(options = {}) {
    this.marked = new Marked({ gfm: true, breaks: Boolean(options.breaks), async: false });
    this.marked.use({ renderer: { html: ({ text }) => escapeHtml(text) } });
  }

  render(text) {
    return this.marked.parse(text, { async: false });
  }
}
