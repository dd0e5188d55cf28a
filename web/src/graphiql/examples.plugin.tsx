import type { GraphiQLPlugin } from '@graphiql/react';
import { useGraphiQL, useGraphiQLActions } from '@graphiql/react';
import queries, { type DocumentedQuery } from 'virtual:documented-queries';

/** Sections of the examples pane, in the order a newcomer reads them. */
const AUDIENCES: { audience: DocumentedQuery['audience']; label: string }[] = [
  { audience: 'start', label: 'Getting started' },
  { audience: 'dashboard', label: 'Dashboard developers' },
  { audience: 'journalist', label: 'Data journalists' },
  { audience: 'integrator', label: 'Integrators' },
  { audience: 'operator', label: 'Operators' },
];

export const EXAMPLES_TITLE = 'Examples';

function ExamplesIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M4 5h16M4 10h16M4 15h10M4 20h7" strokeLinecap="round" />
    </svg>
  );
}

/**
 * Opens a documented query: in the tab that already holds it, else in a new tab that keeps the
 * headers (the API key) of the tab the reader is in. The operation name is set at once: GraphiQL
 * reads it from the editor after a pause, and a Run clicked meanwhile sent the previous tab's name
 * ("Unknown operation named …"; the browser test clicked that fast).
 */
function useOpenQuery(): (q: DocumentedQuery) => void {
  const { addTab, changeTab, setOperationName } = useGraphiQLActions();
  const { tabs, queryEditor, headerEditor } = useGraphiQL((s) => ({ tabs: s.tabs, queryEditor: s.queryEditor, headerEditor: s.headerEditor }));
  return (q) => {
    const open = tabs.findIndex((t) => t.operationName === q.name);
    if (open >= 0) {
      changeTab(open);
    } else {
      const headers = headerEditor?.getValue();
      addTab();
      queryEditor?.setValue(q.query);
      if (headers !== undefined) headerEditor?.setValue(headers);
    }
    setOperationName(q.name);
  };
}

function ExamplesContent() {
  const openQuery = useOpenQuery();
  return (
    <section className="dvc-examples" aria-labelledby="dvc-examples-title">
      <h2 id="dvc-examples-title" className="graphiql-doc-explorer-title">{EXAMPLES_TITLE}</h2>
      <p>The queries of docs/demo.md and docs/queries.md, by reader. Each opens in a tab of its own.</p>
      {AUDIENCES.map(({ audience, label }) => {
        const list = queries.filter((q) => q.audience === audience);
        if (list.length === 0) return null;
        return (
          <div key={audience}>
            <h3>{label}</h3>
            <ul>
              {list.map((q) => (
                <li key={q.name}>
                  <button type="button" className="dvc-example" data-query-name={q.name} onClick={() => openQuery(q)}>
                    <strong>{q.name}</strong> <span>{q.title}</span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </section>
  );
}

export const examplesPlugin: GraphiQLPlugin = { title: EXAMPLES_TITLE, icon: ExamplesIcon, content: ExamplesContent };

/** The first tab of each reader, so that the explorer opens with one example per kind of user. */
export function defaultTabs(headers: string): { query: string; headers: string }[] {
  return AUDIENCES.map(({ audience }) => queries.find((q) => q.audience === audience))
    .filter((q): q is DocumentedQuery => q !== undefined)
    .map((q) => ({ query: q.query, headers }));
}
