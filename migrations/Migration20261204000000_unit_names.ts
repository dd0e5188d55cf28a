import { Migration } from '@mikro-orm/migrations';

/**
 * Names at a date (issue 9): a unit renamed without a code change (Thừa Thiên Huế became the
 * city of Huế on 1 January 2025, same code 46, same unit) keeps its former names here, each
 * with the days it was in force. `unit.name` stays the current name; `unit_name_at` is the one
 * place that says which name a unit had on a date, and every reader (GraphQL fields, aggregate
 * labels, plan compliance) calls it instead of reading `unit.name` for a date.
 */
export class Migration20261204000000_unit_names extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "unit_name" (
      "id" serial primary key,
      "unit_id" int not null references "unit" ("id") on delete cascade,
      "name" text not null,
      "name_search" text not null,
      "valid_from" date null,
      "valid_to" date not null,
      "basis" text not null,
      constraint "unit_name_span_check" check ("valid_from" is null or "valid_from" <= "valid_to")
    );`);
    this.addSql(`comment on table "unit_name" is 'Former names of a unit renamed without a code change, each with the days it was in force; the current name is unit.name. Reference data (data/reference/unit-renames.json).';`);
    this.addSql(`comment on column "unit_name"."name_search" is 'Accent-folded name, so that a search finds a unit by a former name.';`);
    this.addSql(`comment on column "unit_name"."basis" is 'The legal act that ended this name.';`);
    this.addSql(`create unique index "unit_name_unit_from_unique" on "unit_name" ("unit_id", coalesce("valid_from", '-infinity'::date));`);
    // One statement per place that shows a name: STABLE and plain SQL, so the planner can inline it.
    this.addSql(`create function "unit_name_at"(p_unit int, p_on date) returns text language sql stable as $$
      select coalesce(
        (select n.name from unit_name n
         where n.unit_id = p_unit and (n.valid_from is null or n.valid_from <= p_on) and n.valid_to >= p_on
         order by n.valid_from desc nulls last limit 1),
        (select u.name from unit u where u.id = p_unit))
    $$;`);
    this.addSql(`comment on function "unit_name_at"(int, date) is 'The name unit p_unit had on p_on: a former name in force that day (unit_name), else its current name (also when p_on is null).';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists "unit_name_at"(int, date);`);
    this.addSql(`drop table if exists "unit_name";`);
  }

}
