import { type Clock, type ReportTemplate, validateReportTemplate } from '@confer/core';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { ReportError, ReportServiceErrorCode } from './report-error.ts';

export interface StoredTemplate {
  template: ReportTemplate;
  revision: number;
  updatedAt: string;
  updatedBy: string;
}

/** Report templates in the database, validated on every write. Access checks are the service's. */
export class TemplateStore {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;

  constructor(deps: { db: Kysely<Database>; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  async list(): Promise<StoredTemplate[]> {
    const rows = await this.db.selectFrom('report_templates').selectAll().orderBy('id').execute();
    return rows.map(toStored);
  }

  async get(id: string): Promise<StoredTemplate | undefined> {
    const row = await this.db
      .selectFrom('report_templates')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toStored(row) : undefined;
  }

  /** Creates (or, with `replace`, updates) a template; an invalid document is refused with every problem's path. */
  async save(doc: unknown, by: string, mode: 'create' | 'replace' | 'upsert'): Promise<StoredTemplate> {
    const v = validateReportTemplate(doc);
    if (!v.ok)
      throw new ReportError(
        422,
        ReportServiceErrorCode.TemplateInvalid,
        `the template is invalid: ${v.errors
          .slice(0, 3)
          .map((e) => `${e.path || '(document)'}: ${e.message}`)
          .join('; ')}${v.errors.length > 3 ? ` (and ${v.errors.length - 3} more)` : ''}`,
        { errors: v.errors },
      );
    const t = v.template;
    const now = this.clock.now().getTime();
    const existing = await this.get(t.id);
    if (existing && mode === 'create')
      throw new ReportError(
        409,
        ReportServiceErrorCode.TemplateExists,
        `a template "${t.id}" exists already; PUT /api/report-templates/${t.id} to change it`,
      );
    if (!existing && mode === 'replace')
      throw new ReportError(
        404,
        ReportServiceErrorCode.TemplateNotFound,
        `no template "${t.id}"; POST /api/report-templates to create it`,
      );
    const cols = {
      name: t.name,
      definition_json: JSON.stringify(t),
      active: t.active === false ? 0 : 1,
      updated_at: now,
      updated_by: by,
    };
    if (existing) {
      await this.db
        .updateTable('report_templates')
        .set({ ...cols, revision: existing.revision + 1 })
        .where('id', '=', t.id)
        .execute();
    } else {
      await this.db
        .insertInto('report_templates')
        .values({ id: t.id, ...cols, revision: 1, created_at: now })
        .execute();
    }
    return (await this.get(t.id))!;
  }

  async remove(id: string): Promise<void> {
    const r = await this.db.deleteFrom('report_templates').where('id', '=', id).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0)
      throw new ReportError(404, ReportServiceErrorCode.TemplateNotFound, `no template "${id}"`);
  }
}

function toStored(row: Database['report_templates']): StoredTemplate {
  return {
    template: JSON.parse(row.definition_json) as ReportTemplate,
    revision: Number(row.revision),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
    updatedBy: row.updated_by,
  };
}
