import { Migration } from '@mikro-orm/migrations';

export class Migration20261121232513 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "source_kind" as enum ('reference', 'push', 'import', 'dvcqg', 'dossier_feed', 'stats_export');`);
    this.addSql(`create type "run_kind" as enum ('reference', 'push', 'import', 'sync');`);
    this.addSql(`create type "run_status" as enum ('running', 'succeeded', 'rejected', 'failed');`);
    this.addSql(`create type "procedure_tier" as enum ('central', 'province', 'district', 'commune');`);
    this.addSql(`create type "fact_type" as enum ('service_level', 'filing_stat', 'plan');`);
    this.addSql(`create type "revision_reason" as enum ('corrected', 'outranked');`);
    this.addSql(`create type "indicator" as enum ('level4_share', 'level34_share', 'services_with_online_filings', 'online_dossier_rate', 'on_time_rate', 'online_payment_rate', 'dvcqg_integration', 'plan_issued');`);
    this.addSql(`create type "comparison" as enum ('at_least', 'at_most');`);
    this.addSql(`create type "unit_kind" as enum ('nation', 'ministry', 'province', 'department', 'district', 'commune');`);
    this.addSql(`create type "level_taxonomy" as enum ('decree43', 'decree42');`);
    this.addSql(`create type "lineage_type" as enum ('full', 'partial');`);
    this.addSql(`create table "source" ("id" serial primary key, "code" varchar(64) not null, "name" text not null, "kind" "source_kind" not null, "precedence" int not null default 0, "base_url" text null, "created_at" timestamptz not null default now());`);
    this.addSql(`alter table "source" add constraint "source_code_unique" unique ("code");`);

    this.addSql(`create table "ingest_run" ("id" serial primary key, "source_id" int not null, "kind" "run_kind" not null, "status" "run_status" not null default 'running', "started_at" timestamptz not null default now(), "finished_at" timestamptz null, "rows_read" int not null default 0, "rows_written" int not null default 0, "rows_rejected" int not null default 0, "error" text null, "detail" jsonb null);`);
    this.addSql(`create index "ingest_run_source_id_started_at_index" on "ingest_run" ("source_id", "started_at");`);

    this.addSql(`create table "sector" ("id" serial primary key, "source_id" int not null, "run_id" int not null, "updated_at" timestamptz not null default now(), "code" varchar(64) not null, "name" text not null);`);
    this.addSql(`alter table "sector" add constraint "sector_code_unique" unique ("code");`);

    this.addSql(`create table "procedure" ("id" serial primary key, "source_id" int not null, "run_id" int not null, "updated_at" timestamptz not null default now(), "code" varchar(32) not null, "name" text not null, "sector_id" int not null, "tier" "procedure_tier" not null, "eligible_full_online" boolean not null default true, "essential" boolean not null default false);`);
    this.addSql(`alter table "procedure" add constraint "procedure_code_unique" unique ("code");`);
    this.addSql(`create index "procedure_sector_id_index" on "procedure" ("sector_id");`);

    this.addSql(`create table "fact_revision" ("id" bigserial primary key, "fact_type" "fact_type" not null, "fact_key" jsonb not null, "reason" "revision_reason" not null, "value" jsonb not null, "value_source_id" int not null, "value_run_id" int null, "run_id" int not null, "recorded_at" timestamptz not null default now());`);
    this.addSql(`create index "fact_revision_run_id_index" on "fact_revision" ("run_id");`);
    this.addSql(`create index "fact_revision_fact_type_fact_key_index" on "fact_revision" ("fact_type", "fact_key");`);

    this.addSql(`create table "api_key" ("id" serial primary key, "name" varchar(64) not null, "prefix" varchar(16) not null, "secret_hash" varchar(64) not null, "unit_codes" text[] not null, "catalogue" boolean not null default false, "source_id" int not null, "created_at" timestamptz not null default now(), "revoked_at" timestamptz null);`);
    this.addSql(`alter table "api_key" add constraint "api_key_name_unique" unique ("name");`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);

    this.addSql(`create table "target" ("id" serial primary key, "code" varchar(64) not null, "indicator" "indicator" not null, "threshold" numeric(7,4) not null, "comparison" "comparison" not null default 'at_least', "scope_kinds" text[] not null, "eligible_only" boolean not null default false, "period_start" date null, "deadline" date not null, "plan_year" smallint null, "legal_basis" text not null, "description" text not null);`);
    this.addSql(`alter table "target" add constraint "target_code_unique" unique ("code");`);

    this.addSql(`create table "unit" ("id" serial primary key, "code" varchar(32) not null, "name" text not null, "name_search" text not null, "kind" "unit_kind" not null, "parent_id" int null, "valid_from" date null, "valid_to" date null);`);
    this.addSql(`create index "unit_kind_index" on "unit" ("kind");`);
    this.addSql(`create index "unit_parent_id_index" on "unit" ("parent_id");`);
    this.addSql(`alter table "unit" add constraint "unit_code_valid_from_unique" unique nulls not distinct ("code", "valid_from");`);

    this.addSql(`create table "service" ("id" serial primary key, "source_id" int not null, "run_id" int not null, "updated_at" timestamptz not null default now(), "unit_id" int not null, "procedure_id" int not null);`);
    this.addSql(`create index "service_procedure_id_index" on "service" ("procedure_id");`);
    this.addSql(`alter table "service" add constraint "service_unit_id_procedure_id_unique" unique ("unit_id", "procedure_id");`);

    this.addSql(`create table "service_level" ("id" serial primary key, "source_id" int not null, "run_id" int not null, "updated_at" timestamptz not null default now(), "service_id" int not null, "taxonomy" "level_taxonomy" not null, "level" varchar(8) not null, "valid_from" date not null, "integrated_national" boolean null);`);
    this.addSql(`alter table "service_level" add constraint "service_level_service_id_valid_from_unique" unique ("service_id", "valid_from");`);

    this.addSql(`create table "plan" ("id" serial primary key, "source_id" int not null, "run_id" int not null, "updated_at" timestamptz not null default now(), "unit_id" int not null, "year" smallint not null, "document_number" varchar(64) null, "title" text null, "issued_on" date null, "due_on" date null);`);
    this.addSql(`create index "plan_year_index" on "plan" ("year");`);
    this.addSql(`alter table "plan" add constraint "plan_unit_id_year_unique" unique ("unit_id", "year");`);

    this.addSql(`create table "filing_stat" ("month" date not null, "unit_id" int not null, "procedure_id" int not null, "source_id" int not null, "run_id" int not null, "updated_at" timestamptz not null default now(), "received" int not null, "received_online" int not null, "received_postal" int not null default 0, "resolved_on_time" int not null default 0, "resolved_late" int not null default 0, "with_fee" int not null default 0, "paid_online" int not null default 0, "synced_national" int not null default 0, constraint "filing_stat_pkey" primary key ("month", "unit_id", "procedure_id"));`);
    this.addSql(`create index "filing_stat_unit_id_month_index" on "filing_stat" ("unit_id", "month");`);
    // No foreign keys on filing_stat (the ~10M-row fact table): the ingest core resolves every unit and
    // procedure code before writing, and FK triggers cost more than half of bulk-write time (bench:ingest).
    // Defence in depth: ingest validates these rules first and names the offending rows.
    this.addSql(`alter table "filing_stat" add constraint "filing_stat_counts_check" check (received >= 0 and received_online >= 0 and received_postal >= 0 and received_online + received_postal <= received and resolved_on_time >= 0 and resolved_late >= 0 and resolved_on_time + resolved_late <= received and with_fee >= 0 and with_fee <= received and paid_online >= 0 and paid_online <= with_fee and synced_national >= 0 and synced_national <= received);`);
    this.addSql(`alter table "filing_stat" add constraint "filing_stat_month_check" check (extract(day from month) = 1);`);
    this.addSql(`alter table "service_level" add constraint "service_level_level_check" check ((taxonomy = 'decree43' and level in ('1','2','3','4')) or (taxonomy = 'decree42' and level in ('info','partial','full')));`);
    this.addSql(`alter table "target" add constraint "target_threshold_check" check (threshold >= 0 and threshold <= 1);`);

    this.addSql(`create table "unit_lineage" ("predecessor_id" int not null, "successor_id" int not null, "type" "lineage_type" not null, "effective_on" date not null, constraint "unit_lineage_pkey" primary key ("predecessor_id", "successor_id"));`);
    this.addSql(`create index "unit_lineage_successor_id_index" on "unit_lineage" ("successor_id");`);

    this.addSql(`alter table "ingest_run" add constraint "ingest_run_source_id_foreign" foreign key ("source_id") references "source" ("id") on update cascade;`);

    this.addSql(`alter table "sector" add constraint "sector_source_id_foreign" foreign key ("source_id") references "source" ("id") on update cascade;`);
    this.addSql(`alter table "sector" add constraint "sector_run_id_foreign" foreign key ("run_id") references "ingest_run" ("id") on update cascade;`);

    this.addSql(`alter table "procedure" add constraint "procedure_source_id_foreign" foreign key ("source_id") references "source" ("id") on update cascade;`);
    this.addSql(`alter table "procedure" add constraint "procedure_run_id_foreign" foreign key ("run_id") references "ingest_run" ("id") on update cascade;`);
    this.addSql(`alter table "procedure" add constraint "procedure_sector_id_foreign" foreign key ("sector_id") references "sector" ("id") on update cascade;`);

    this.addSql(`alter table "fact_revision" add constraint "fact_revision_value_source_id_foreign" foreign key ("value_source_id") references "source" ("id") on update cascade;`);
    this.addSql(`alter table "fact_revision" add constraint "fact_revision_value_run_id_foreign" foreign key ("value_run_id") references "ingest_run" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "fact_revision" add constraint "fact_revision_run_id_foreign" foreign key ("run_id") references "ingest_run" ("id") on update cascade;`);

    this.addSql(`alter table "api_key" add constraint "api_key_source_id_foreign" foreign key ("source_id") references "source" ("id") on update cascade;`);

    this.addSql(`alter table "unit" add constraint "unit_parent_id_foreign" foreign key ("parent_id") references "unit" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "service" add constraint "service_source_id_foreign" foreign key ("source_id") references "source" ("id") on update cascade;`);
    this.addSql(`alter table "service" add constraint "service_run_id_foreign" foreign key ("run_id") references "ingest_run" ("id") on update cascade;`);
    this.addSql(`alter table "service" add constraint "service_unit_id_foreign" foreign key ("unit_id") references "unit" ("id") on update cascade;`);
    this.addSql(`alter table "service" add constraint "service_procedure_id_foreign" foreign key ("procedure_id") references "procedure" ("id") on update cascade;`);

    this.addSql(`alter table "service_level" add constraint "service_level_source_id_foreign" foreign key ("source_id") references "source" ("id") on update cascade;`);
    this.addSql(`alter table "service_level" add constraint "service_level_run_id_foreign" foreign key ("run_id") references "ingest_run" ("id") on update cascade;`);
    this.addSql(`alter table "service_level" add constraint "service_level_service_id_foreign" foreign key ("service_id") references "service" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "plan" add constraint "plan_source_id_foreign" foreign key ("source_id") references "source" ("id") on update cascade;`);
    this.addSql(`alter table "plan" add constraint "plan_run_id_foreign" foreign key ("run_id") references "ingest_run" ("id") on update cascade;`);
    this.addSql(`alter table "plan" add constraint "plan_unit_id_foreign" foreign key ("unit_id") references "unit" ("id") on update cascade;`);


    this.addSql(`alter table "unit_lineage" add constraint "unit_lineage_predecessor_id_foreign" foreign key ("predecessor_id") references "unit" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "unit_lineage" add constraint "unit_lineage_successor_id_foreign" foreign key ("successor_id") references "unit" ("id") on update cascade on delete cascade;`);
  }

}
