"""`ledelse`: the command line for developers and ops (migrate, token, seed, openapi, run)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from services.kernel.settings import PlatformSettings


def _database_url() -> str:
    from services.kernel.service import resolve_database_url

    return resolve_database_url(PlatformSettings())


async def _migrate(database_url: str) -> None:
    from services.kernel import database, migrations
    from services.registry import MIGRATION_SETS

    engine = database.create_engine(database_url, application_name="migrate")
    try:
        await migrations.upgrade(engine, *MIGRATION_SETS)
    finally:
        await engine.dispose()


def cmd_migrate(args: argparse.Namespace) -> int:
    asyncio.run(_migrate(_database_url()))
    print("migrations at head")
    return cmd_roles(args) if args.roles else 0


def cmd_roles(args: argparse.Namespace) -> int:
    import os

    from services.roles import SERVICES, grant_roles

    passwords = {
        s: os.environ[f"{s.upper()}_DB_PASSWORD"]
        for s in SERVICES
        if os.environ.get(f"{s.upper()}_DB_PASSWORD")
    }
    roles = asyncio.run(grant_roles(_database_url(), passwords))
    print(f"roles granted: {', '.join(roles)}")
    return 0


def cmd_makemigration(args: argparse.Namespace) -> int:
    """Draft a migration by comparing the models with a database at head (review it before committing)."""
    from datetime import date

    from alembic import command
    from alembic.script import ScriptDirectory

    from services.registry import MIGRATION_SETS

    migration_set = next(s for s in MIGRATION_SETS if s.schema == args.schema)
    url = _database_url()
    asyncio.run(_migrate(url))
    cfg = migration_set.config(url)
    cfg.set_main_option("file_template", f"{date.today():%Y%m%d}_%%(rev)s_%%(slug)s")
    heads = ScriptDirectory.from_config(cfg).get_heads()
    number = int(heads[0].rsplit("_", 1)[-1]) + 1 if heads else 1
    command.revision(cfg, message=args.message, autogenerate=True, rev_id=f"{args.schema}_{number:04d}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from services.kernel.auth import devkeys

    settings = PlatformSettings()
    if settings.app_env.value == "production":
        print("tokens are minted by the identity provider in production", file=sys.stderr)
        return 2
    roles = [] if args.role in (None, "", "user", "employee") else [args.role]
    email = args.email or devkeys.default_email_for_role(args.role)
    oid = args.oid or devkeys.person_oid(email)
    print(
        devkeys.mint_token(
            oid=oid, roles=roles, email=email, name=args.name, lifetime_seconds=args.hours * 3600
        )
    )
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from services.demo import load_demo_data

    summary = asyncio.run(load_demo_data(_database_url()))
    print(summary)
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from services.contract import check_openapi, write_openapi

    if args.check:
        drift = check_openapi()
        for line in drift:
            print(line, file=sys.stderr)
        return 1 if drift else 0
    for path in write_openapi():
        print(f"wrote {path}")
    return 0


def cmd_import_directory(args: argparse.Namespace) -> int:
    """Stream an HR export (CSV) into the directory; rejected rows are listed with their line numbers."""
    from services.enrollment.hrsync.csvimport import CsvFormatError, import_csv
    from services.enrollment.settings import EnrollmentSettings
    from services.kernel import database
    from services.kernel.problems import Problem

    async def run() -> int:
        engine = database.create_engine(_database_url(), application_name="import-directory")
        try:
            report = await import_csv(
                database.create_sessionmaker(engine),
                args.file,
                args.resource,
                full=args.full,
                force=args.force,
                max_share=EnrollmentSettings().directory_max_deactivate_share,
                batch_size=args.batch_size,
                show_progress=not args.quiet,
            )
        except (CsvFormatError, OSError, Problem) as exc:
            print(f"import refused: {exc}", file=sys.stderr)
            return 2
        finally:
            await engine.dispose()
        for line, rejected in report.rejected:
            reasons = "; ".join(f"{'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in rejected.errors)
            print(f"line {line} ({rejected.external_id or '?'}): {reasons}", file=sys.stderr)
        print(
            f"{report.rows} rows: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.deactivated} deactivated, {len(report.rejected)} rejected"
        )
        return 1 if report.rejected else 0

    return asyncio.run(run())


def cmd_run(args: argparse.Namespace) -> int:
    from services.supervisor import run

    return run(seed=not args.no_seed, pg_dir=args.pg_dir)


def cmd_serve(args: argparse.Namespace) -> int:
    """Become one process (the container image's command): a service, or the gateway. `exec` so that
    uvicorn is PID 1 and gets SIGTERM itself: it stops accepting, finishes requests in flight (up to
    10 s), and the service stops its consumers after their current batch commits."""
    import os

    from services.registry import SERVICES
    from services.supervisor import uvicorn_command

    if args.process == "gateway":
        from gateway.settings import GatewaySettings

        gateway = GatewaySettings()
        command = uvicorn_command("gateway.app:create_app", gateway.port, gateway.host)
    else:
        service = next(s for s in SERVICES if s.name == args.process)
        settings = service.settings_class()
        command = uvicorn_command(service.factory, settings.port, settings.host)
    os.execv(command[0], command)  # noqa: S606 - our own interpreter, fixed arguments


def cmd_db_url(args: argparse.Namespace) -> int:
    print(_database_url())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ledelse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    migrate = sub.add_parser("migrate", help="bring every schema to head")
    migrate.add_argument("--roles", action="store_true", help="then create and grant the services' roles")
    migrate.set_defaults(func=cmd_migrate)
    serve = sub.add_parser("serve", help="run one process: a service or the gateway (the image's command)")
    serve.add_argument("process", choices=["catalog", "enrollment", "feedback", "gateway"])
    serve.set_defaults(func=cmd_serve)
    sub.add_parser(
        "roles", help="create the services' database roles and grant them their schemas"
    ).set_defaults(func=cmd_roles)

    make = sub.add_parser("makemigration", help="draft an Alembic migration for one schema")
    make.add_argument("schema", choices=["eventbus", "catalog", "enrollment", "feedback"])
    make.add_argument("-m", "--message", required=True)
    make.set_defaults(func=cmd_makemigration)

    token = sub.add_parser("token", help="print a development bearer token")
    token.add_argument("--role", default="coordinator", help="coordinator, hr-integration, ops or user")
    token.add_argument("--email", help="the person (demo e-mail); their oid is derived from it")
    token.add_argument("--oid", help="an explicit Entra object id")
    token.add_argument("--name")
    token.add_argument("--hours", type=int, default=8)
    token.set_defaults(func=cmd_token)

    sub.add_parser("seed", help="load the demo data (idempotent)").set_defaults(func=cmd_seed)

    imp = sub.add_parser("import-directory", help="import org units or people from an HR export (CSV)")
    imp.add_argument("resource", choices=["org-units", "people"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--full", action="store_true", help="the file is the complete set: deactivate the rest")
    imp.add_argument("--force", action="store_true", help="allow a full import past the deactivation guard")
    imp.add_argument("--batch-size", type=int, default=5000)
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_import_directory)

    openapi = sub.add_parser("openapi", help="write openapi/ from the code (or --check for drift)")
    openapi.add_argument("--check", action="store_true")
    openapi.set_defaults(func=cmd_openapi)

    run = sub.add_parser("run", help="start PostgreSQL, the services and the gateway")
    run.add_argument("--no-seed", action="store_true")
    run.add_argument(
        "--pg-dir", type=Path, help="data directory of the embedded PostgreSQL (default .data/pg)"
    )
    run.set_defaults(func=cmd_run)

    sub.add_parser("db-url", help="print the database URL (starts the embedded server)").set_defaults(
        func=cmd_db_url
    )

    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
