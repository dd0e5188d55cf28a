import { SourceKind } from '../provenance/source.entity';
import { Connector } from './connector';
import { DossierFeedConnector } from './dossier-feed.connector';
import { DvcqgConnector } from './dvcqg.connector';
import { StatsExportConnector } from './stats-export.connector';

/** Everything the gateway needs to know about one kind of pulled source, besides its connector's code. */
export interface ConnectorKind {
  /** A connector for one run. */
  create(): Connector;
  /** Logical credential names a registry entry of this kind must map to environment variables. */
  credentials: readonly string[];
  /** Value columns this kind never reports, per section: the stored values are kept (see applyFactStage). */
  keepMissing?: Partial<Record<'services' | 'filings', readonly string[]>>;
  /** The source keeps dossiers (its partition of the dossier table is created with the registry). */
  keepsDossiers?: boolean;
}

/** Kinds that push or are loaded locally: every other kind is pulled by a connector. */
type LocalKind = SourceKind.REFERENCE | SourceKind.PUSH | SourceKind.IMPORT;

/**
 * The kinds a sync connector pulls from (the others push or are loaded locally): a new kind is
 * its connector file, an entry here and its name in SourceKind (the GraphQL enum clients see).
 */
export const CONNECTORS = {
  [SourceKind.DVCQG]: {
    create: () => new DvcqgConnector(),
    credentials: ['token'],
    // Integration on DVCQG is only known from the first month observed (see the connector's levels).
    keepMissing: { services: ['integrated_national'] },
  },
  [SourceKind.DOSSIER_FEED]: {
    create: () => new DossierFeedConnector(),
    credentials: ['clientId', 'clientSecret'],
    keepsDossiers: true,
  },
  [SourceKind.STATS_EXPORT]: {
    create: () => new StatsExportConnector(),
    credentials: [],
    // The export has no "synced to DVCQG" column, and its levels say nothing of integration.
    keepMissing: { filings: ['synced_national'], services: ['integrated_national'] },
  },
} satisfies Record<Exclude<SourceKind, LocalKind>, ConnectorKind>; // a kind added to SourceKind without an entry here does not compile

export type SyncKind = keyof typeof CONNECTORS;

export const SYNC_KINDS = Object.keys(CONNECTORS) as SyncKind[];

/** The registry's entry for a kind, or undefined for a kind no connector pulls. */
export function connectorKind(kind: string): ConnectorKind | undefined {
  return (CONNECTORS as Partial<Record<string, ConnectorKind>>)[kind];
}
