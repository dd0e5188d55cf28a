// Its stylesheet (graphiql, the explorer plugin, graphiql.page.css) is a file of its own that
// main.tsx loads with this module: web-build.js says why.
import './monaco-workers';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { useMonaco } from '@graphiql/react';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { useEffect } from 'react';
import { GraphiQL } from 'graphiql';
import { defaultTabs, examplesPlugin, EXAMPLES_TITLE } from './examples.plugin';
import { linkedQuery, LinkedQueryOpener } from './link-query';

/**
 * The headers every tab starts with: the API key line is there, commented out (GraphiQL 5 reads
 * JSON with comments), so the reader sees where a key goes; an empty or wrong key would be refused.
 */
export const DEFAULT_HEADERS = `{
  // API keys: npm run api-key -- create … (needed for mutations; reads need none)
  // "Authorization": "Bearer dvc_…"
}`;

// Relative to the page: the gateway serves both, possibly behind a path prefix.
const fetcher = createGraphiQLFetcher({ url: new URL('graphql', document.baseURI).toString() });
const plugins = [examplesPlugin, explorerPlugin()];
// `graphiql?query=…&variables=…` (the statistics page's "Open in GraphiQL"): read once, as the page starts.
const link = linkedQuery(location.search);

/**
 * Formatting stays GraphiQL's (its prettify button and Shift-Ctrl-P, prettier loaded on demand):
 * Monaco's "Format Document", which would ask the GraphQL worker, is turned off, and the worker is
 * built without its own copy of prettier (web-build.js).
 */
function useNoFormattingInWorker(): void {
  const monacoGraphQL = useMonaco((s) => s.monacoGraphQL);
  useEffect(() => {
    if (monacoGraphQL?.modeConfiguration.documentFormattingEdits) {
      monacoGraphQL.setModeConfiguration({ ...monacoGraphQL.modeConfiguration, documentFormattingEdits: false });
    }
  }, [monacoGraphQL]);
}

export default function GraphiqlPage() {
  useNoFormattingInWorker();
  return (
    <GraphiQL
      fetcher={fetcher}
      plugins={plugins}
      visiblePlugin={EXAMPLES_TITLE}
      defaultTabs={defaultTabs(DEFAULT_HEADERS)}
      defaultHeaders={DEFAULT_HEADERS}
      defaultEditorToolsVisibility="headers"
      isHeadersEditorEnabled
    >
      <LinkedQueryOpener link={link} />
      <GraphiQL.Logo>
        <a href="./" className="dvc-logo-link">dvc-gateway</a>
      </GraphiQL.Logo>
    </GraphiQL>
  );
}
