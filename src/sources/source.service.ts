import { EntityManager } from '@mikro-orm/postgresql';
import parser from 'cron-parser';
import { FactType, RevisionReason } from '../provenance/fact-revision.entity';
import { Source } from '../provenance/source.entity';
import { FactRevisionRow, FactRevisionType, REVISION_COLUMNS, toRevision } from './fact-revision.type';

export interface RevisionQuery {
  sourceCode?: string;
  factType?: FactType;
  reason?: RevisionReason;
  last: number;
}

/** Reads of the source registry as mirrored in the database, and of facts' revisions. */
export class SourceService {
  constructor(private readonly em: EntityManager) {}

  list(): Promise<Source[]> {
    return this.em.find(Source, {}, { orderBy: { code: 'asc' } });
  }

  get(code: string): Promise<Source | null> {
    return this.em.findOne(Source, { code });
  }

  /** Revisions newest first, optionally of one source's values, one fact type, one reason. */
  async revisions(q: RevisionQuery): Promise<FactRevisionType[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.sourceCode) {
      where.push('value_source_id = (SELECT id FROM source WHERE code = ?)');
      params.push(q.sourceCode);
    }
    if (q.factType) {
      where.push('fact_type = ?');
      params.push(q.factType);
    }
    if (q.reason) {
      where.push('reason = ?');
      params.push(q.reason);
    }
    const rows = await this.em.getConnection().execute<FactRevisionRow[]>(
      `SELECT ${REVISION_COLUMNS} FROM fact_revision ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      [...params, q.last],
    );
    return rows.map(toRevision);
  }
}

/** The next time a cron schedule fires (Asia/Ho_Chi_Minh), or null without a schedule. */
export function nextRun(schedule: string | undefined | null, now = new Date()): Date | null {
  if (!schedule) return null;
  try {
    return parser.parseExpression(schedule, { tz: 'Asia/Ho_Chi_Minh', currentDate: now }).next().toDate();
  } catch {
    return null;
  }
}
