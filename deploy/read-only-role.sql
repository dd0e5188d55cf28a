-- A read-only role for the gateway's read replicas and for people who only read
-- (docs/operations.md, "A read-only role"). Tested by test/scaleout/read-only-role.test.ts.
--
-- Run in the gateway's database, as the role the gateway migrates with (the owner of its tables):
-- ALTER DEFAULT PRIVILEGES below then covers the tables later migrations create, and the
-- partitions a sync creates. CREATE ROLE needs a superuser or a role with CREATEROLE: if the
-- owner has neither, have one run the first statement, and the owner the rest.
-- Set the password afterwards, out of the shell history: \password dvc_reader (psql).
--
-- Roles are cluster-wide and replicate like everything else: create it on the primary, and a
-- streaming replica has it too. Writes are refused by privilege (SQLSTATE 42501) on the primary;
-- a hot standby refuses every write anyway.

CREATE ROLE dvc_reader LOGIN;

-- PUBLIC has CONNECT on every database unless an administrator revoked it; say it explicitly.
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO dvc_reader', current_database()); END $$;

GRANT USAGE ON SCHEMA public TO dvc_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO dvc_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO dvc_reader;

-- Nothing else: no INSERT, UPDATE, DELETE, TRUNCATE, no sequence, no CREATE on the schema
-- (PostgreSQL 15 and later grant CREATE on public to its owner only). Functions the migrations
-- define stay callable (EXECUTE is PUBLIC's), but those that write (refresh_unit_map, the data
-- version's triggers) fail on the tables they write. pg-boss's schema (pgboss) is not granted:
-- only workers use it, on the primary.
--
-- For people rather than the gateway, also hide the keys' hashes:
--   REVOKE SELECT ON api_key FROM dvc_reader;
