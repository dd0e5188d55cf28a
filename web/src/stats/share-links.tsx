import { curlCommand, exportHref, graphiqlHref } from './graphql';
import type { Labels } from './labels';
import type { ViewQuery } from './queries';

/** "Download CSV" / "Download JSON" of the view's exact query, "Open in GraphiQL" with it, and the curl line. */
export function ShareLinks({ view, t, name }: { view: ViewQuery; t: Labels; name: string }) {
  return (
    <div className="dvc-share" role="group" aria-label={`${t.download}: ${name}`}>
      <a className="dvc-button" href={exportHref('csv', view.query, view.variables)} download data-export="csv">
        <span aria-hidden="true">⤓ </span>{t.downloadCsv}
      </a>
      <a className="dvc-button" href={exportHref('json', view.query, view.variables)} download data-export="json">
        <span aria-hidden="true">⤓ </span>{t.downloadJson}
      </a>
      <a className="dvc-button" href={graphiqlHref(view.query, view.variables)} data-graphiql>
        {t.openInGraphiql}
      </a>
      <details className="dvc-curl">
        <summary>{t.copyCurl}</summary>
        <pre tabIndex={0}><code>{curlCommand(view.query, view.variables)}</code></pre>
      </details>
    </div>
  );
}
