"""One database role per service, with the least it needs: its own schema and the event bus.

`ledelse roles` (run by the migration job, as the database owner, after `ledelse migrate`) creates the
roles that do not exist yet (`ledelse_catalog`, `ledelse_enrollment`, `ledelse_feedback`; LOGIN, no
password: CloudNativePG's managed roles or the DBA set it) and grants, idempotently:

- on its own schema: USAGE, and SELECT/INSERT/UPDATE/DELETE on every table, USAGE/SELECT on every
  sequence, now and for tables later migrations create (default privileges of the migrating role);
- on `eventbus`: publishing (INSERT on `events`), consuming (SELECT on `events`, SELECT/INSERT/UPDATE on
  `subscriptions` and `dead_letters`), and reading its migration version;
- nothing on any other service's schema, and no right to create objects anywhere (migrations run as
  the owner, so services start with `<SVC>_MIGRATE_ON_START=false`);
- for the enrolment role, `UPDATE (payload, aggregate_id)` on `eventbus.events`: erasure rewrites the
  payloads that name an erased person;
- for the feedback role, statement logging off (`log_statement`, `log_min_duration_statement`), so the
  server's own log cannot time each anonymous ballot (docs/anonymity.md). That takes a superuser; run
  by anyone else it is left with a warning for the DBA.

Hand-written SQL on purpose: these are a dozen GRANT statements; a role-management library would add a
dependency to say the same thing less plainly.
"""

from __future__ import annotations

import asyncpg

SERVICES = ("catalog", "enrollment", "feedback")


def role_of(service: str) -> str:
    return f"ledelse_{service}"


def statements(service: str) -> list[str]:
    role, schema = role_of(service), service
    return [
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} LOGIN;
            END IF;
        END $$
        """,
        f"GRANT CONNECT ON DATABASE {{database}} TO {role}",
        f"REVOKE CREATE ON SCHEMA public FROM {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        f"GRANT USAGE ON SCHEMA eventbus TO {role}",
        f"GRANT SELECT, INSERT ON eventbus.events TO {role}",
        f"GRANT SELECT, INSERT, UPDATE ON eventbus.subscriptions, eventbus.dead_letters TO {role}",
        f"GRANT SELECT ON eventbus.alembic_version TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA eventbus TO {role}",
        *([_UNLOGGED.format(role=role)] if service == "feedback" else []),
        # The enrolment service rewrites the payloads naming an erased person once every service has
        # acted on the erasure (docs/adr/0017-erasure-by-re-keying.md): those two columns, nothing else.
        *(
            [f"GRANT UPDATE (payload, aggregate_id) ON eventbus.events TO {role}"]
            if service == "enrollment"
            else []
        ),
    ]


_UNLOGGED = """
    DO $$ BEGIN
        ALTER ROLE {role} SET log_statement = 'none';
        ALTER ROLE {role} SET log_min_duration_statement = -1;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE WARNING 'statement logging stays as configured for {role}: only a superuser can turn it off';
    END $$
"""


async def grant_roles(database_url: str, passwords: dict[str, str] | None = None) -> list[str]:
    """Create the service roles where missing and grant what each needs; set a role's password where
    one is given (by service name; `ledelse roles` reads `<SVC>_DB_PASSWORD`). Returns the role names."""
    from services.kernel.database import libpq_dsn

    connection = await asyncpg.connect(libpq_dsn(database_url))
    try:
        database = await connection.fetchval("SELECT quote_ident(current_database())")
        async with connection.transaction():
            # Roles are shared by the whole server: one creation at a time (concurrent jobs, test runs).
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('ledelse.roles'))")
            for service in SERVICES:
                for statement in statements(service):
                    await connection.execute(statement.replace("{database}", database))
                password = (passwords or {}).get(service)
                if password:
                    sql = await connection.fetchval(
                        "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)",
                        role_of(service),
                        password,
                    )
                    await connection.execute(sql)
    finally:
        await connection.close()
    return [role_of(s) for s in SERVICES]
