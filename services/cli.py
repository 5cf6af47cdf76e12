"""`ledelse`: the production command line, the container image's entry point (serve one process,
migrate, grant the database roles, import an HR export). Development commands are `python -m devtools`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from services.kernel.settings import PlatformSettings


def database_url() -> str:
    from services.kernel.service import resolve_database_url

    return resolve_database_url(PlatformSettings())


async def migrate_all(url: str) -> None:
    """Every schema (the event bus first) to its newest migration."""
    from services.kernel import database, migrations
    from services.registry import MIGRATION_SETS

    engine = database.create_engine(url, application_name="migrate")
    try:
        await migrations.upgrade(engine, *MIGRATION_SETS)
    finally:
        await engine.dispose()


def uvicorn_command(factory: str, port: int, host: str) -> list[str]:
    """How every process runs: the app factory under uvicorn, on this interpreter."""
    return [
        sys.executable, "-m", "uvicorn", "--factory", factory,
        "--host", host, "--port", str(port), "--timeout-graceful-shutdown", "10", "--log-level", "warning",
        # Room for headers up to 64 KiB, so the gateway itself answers 431 (a problem document) above
        # GATEWAY_MAX_HEADER_BYTES instead of the HTTP parser closing the connection.
        "--h11-max-incomplete-event-size", "65536",
        # uvicorn would otherwise believe X-Forwarded-For from loopback before the app sees the request
        # (a rotating header then defeats the gateway's per-address limit): the gateway alone decides
        # whom to believe, from GATEWAY_TRUSTED_PROXIES (`gateway.protection.client_address`).
        "--no-proxy-headers",
    ]  # fmt: skip


def cmd_migrate(args: argparse.Namespace) -> int:
    asyncio.run(migrate_all(database_url()))
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
    roles = asyncio.run(grant_roles(database_url(), passwords))
    print(f"roles granted: {', '.join(roles)}")
    return 0


def cmd_import_directory(args: argparse.Namespace) -> int:
    """Stream an HR export (CSV) into the directory; rejected rows are listed with their line numbers."""
    from services.enrollment.hrsync.csvimport import CsvFormatError, import_csv
    from services.enrollment.settings import EnrollmentSettings
    from services.kernel import database
    from services.kernel.problems import Problem

    async def run() -> int:
        engine = database.create_engine(database_url(), application_name="import-directory")
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


def cmd_serve(args: argparse.Namespace) -> int:
    """Become one process (the container image's command): a service, or the gateway. `exec` so that
    uvicorn is PID 1 and gets SIGTERM itself: it stops accepting, finishes requests in flight (up to
    10 s), and the service stops its consumers after their current batch commits."""
    import os

    from services.registry import SERVICES

    if args.process == "gateway":
        from gateway.settings import GatewaySettings

        gateway = GatewaySettings()
        command = uvicorn_command("gateway.app:create_app", gateway.port, gateway.host)
    else:
        service = next(s for s in SERVICES if s.name == args.process)
        settings = service.settings_class()
        command = uvicorn_command(service.factory, settings.port, settings.host)
    os.execv(command[0], command)  # noqa: S606 - our own interpreter, fixed arguments


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

    imp = sub.add_parser("import-directory", help="import org units or people from an HR export (CSV)")
    imp.add_argument("resource", choices=["org-units", "people"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--full", action="store_true", help="the file is the complete set: deactivate the rest")
    imp.add_argument("--force", action="store_true", help="allow a full import past the deactivation guard")
    imp.add_argument("--batch-size", type=int, default=5000)
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_import_directory)

    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
