import { useGraphiQL, useGraphiQLActions } from '@graphiql/react';
import { Kind, parse } from 'graphql';
import { useEffect, useRef } from 'react';

/** A query handed over in the page's URL: `graphiql?query=<GraphQL>&variables=<JSON>`. */
export interface LinkedQuery {
  query: string;
  variables: string;
  /** The first operation's name, if it has one (the tab's title). */
  operationName: string | null;
}

/**
 * The query of a link (the statistics page's "Open in GraphiQL" sends the view's query and
 * variables, URL-encoded), or null without one. Read once, when the page starts.
 */
export function linkedQuery(search: string): LinkedQuery | null {
  const params = new URLSearchParams(search);
  const query = params.get('query');
  if (!query || query.trim() === '') return null;
  return { query, variables: params.get('variables') ?? '', operationName: operationNameOf(query) };
}

/** The first named operation's name; null when the text does not parse (it still opens, as typed). */
function operationNameOf(query: string): string | null {
  try {
    const op = parse(query, { noLocation: true }).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    return op && op.kind === Kind.OPERATION_DEFINITION ? (op.name?.value ?? null) : null;
  } catch {
    return null;
  }
}

/**
 * Opens the link's query in a tab of its own once the editors exist, beside the tabs the reader
 * already has (restored from the browser's storage, or the examples): a new tab, with the current
 * tab's headers (the API key); or, when a tab already holds the same query and variables (the link
 * opened again, or the page reloaded), that tab. GraphiQL's own `initialQuery` would write the
 * query into the first tab instead when nothing is stored yet.
 */
export function useOpenLinkedQuery(link: LinkedQuery | null): void {
  const { addTab, changeTab, setOperationName, updateActiveTabValues } = useGraphiQLActions();
  const { tabs, activeTabIndex, queryEditor, variableEditor, headerEditor } = useGraphiQL((s) => ({
    tabs: s.tabs, activeTabIndex: s.activeTabIndex, queryEditor: s.queryEditor, variableEditor: s.variableEditor, headerEditor: s.headerEditor,
  }));
  // Once per page (StrictMode runs effects twice; the ref outlives that).
  const opened = useRef(false);
  useEffect(() => {
    if (!link || opened.current || !queryEditor || !variableEditor || !headerEditor) return;
    opened.current = true;
    const same = (query: string | null | undefined, variables: string | null | undefined) => query === link.query && (variables ?? '') === link.variables;
    const activeHolds = same(queryEditor.getValue(), variableEditor.getValue());
    const open = activeHolds ? activeTabIndex : tabs.findIndex((t) => same(t.query, t.variables));
    if (open >= 0) {
      if (open !== activeTabIndex) changeTab(open);
    } else {
      const headers = headerEditor.getValue();
      addTab();
      queryEditor.setValue(link.query);
      variableEditor.setValue(link.variables);
      headerEditor.setValue(headers);
      // Stored now, not after the editors' pause: a reload straight away finds the tab and keeps it.
      updateActiveTabValues({ query: link.query, variables: link.variables });
    }
    // At once, not after GraphiQL's pause: the tab's title, and what Run sends.
    if (link.operationName) setOperationName(link.operationName);
  }, [link, tabs, activeTabIndex, queryEditor, variableEditor, headerEditor, addTab, changeTab, setOperationName, updateActiveTabValues]);
}

/** Renders nothing: GraphiQL renders its other children inside its provider, where the hook needs to run. */
export function LinkedQueryOpener({ link }: { link: LinkedQuery | null }): null {
  useOpenLinkedQuery(link);
  return null;
}
