"""`python -m devtools`: the development commands (run everything, the database URL and environment,
tokens, demo data, the OpenAPI documents, migration drafts). The production ones are `ledelse`
(`services/cli.py`)."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from services.cli import migrate_all
from services.kernel.settings import DEV_AUDIENCE, DEV_ISSUER, DEV_JWKS, PlatformSettings


def database_url() -> str:
    """`DATABASE_URL`, or the embedded server's under .data/ (started if it is not running)."""
    settings = PlatformSettings()
    if settings.database_url:
        return settings.database_url
    from devtools.devdb import DEFAULT_DATABASE, EmbeddedPostgres

    return EmbeddedPostgres().ensure_database(DEFAULT_DATABASE)


def cmd_makemigration(args: argparse.Namespace) -> int:
    """Draft a migration by comparing the models with a database at head (review it before committing)."""
    from datetime import date

    from alembic import command
    from alembic.script import ScriptDirectory

    from services.registry import MIGRATION_SETS

    migration_set = next(s for s in MIGRATION_SETS if s.schema == args.schema)
    url = database_url()
    asyncio.run(migrate_all(url))
    cfg = migration_set.config(url)
    cfg.set_main_option("file_template", f"{date.today():%Y%m%d}_%%(rev)s_%%(slug)s")
    heads = ScriptDirectory.from_config(cfg).get_heads()
    number = int(heads[0].rsplit("_", 1)[-1]) + 1 if heads else 1
    command.revision(cfg, message=args.message, autogenerate=True, rev_id=f"{args.schema}_{number:04d}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from devtools import devkeys

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
    from devtools.demo import load_demo_data

    summary = asyncio.run(load_demo_data(database_url()))
    print(summary)
    return 0


def cmd_demo_year(args: argparse.Namespace) -> int:
    from devtools.demo_year import DemoYearRefused, load_demo_year

    try:
        print(asyncio.run(load_demo_year(database_url())))
    except DemoYearRefused as refused:
        print(refused, file=sys.stderr)
        return 1
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from devtools.contract import check_openapi, write_openapi

    if args.check:
        drift = check_openapi()
        for line in drift:
            print(line, file=sys.stderr)
        return 1 if drift else 0
    for path in write_openapi():
        print(f"wrote {path}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from devtools.supervisor import run

    return run(seed=not args.no_seed, pg_dir=args.pg_dir)


def cmd_db_url(args: argparse.Namespace) -> int:
    print(database_url())
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    """What one process needs to run alone in development: `eval "$(python -m devtools env)"`."""
    from devtools import devkeys

    devkeys.ensure_dev_keys()
    variables = {
        "DATABASE_URL": database_url(),
        "OIDC_ISSUER": DEV_ISSUER,
        "OIDC_AUDIENCE": DEV_AUDIENCE,
        "OIDC_JWKS_URL": DEV_JWKS.as_uri(),
    }
    for name, value in variables.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start PostgreSQL, the services and the gateway (make run)")
    run.add_argument("--no-seed", action="store_true")
    run.add_argument(
        "--pg-dir", type=Path, help="data directory of the embedded PostgreSQL (default .data/pg)"
    )
    run.set_defaults(func=cmd_run)

    sub.add_parser(
        "demo-year", help="play the programme year so far on the demo data (with `make run` up)"
    ).set_defaults(func=cmd_demo_year)
    sub.add_parser("db-url", help="print the database URL (starts the embedded server)").set_defaults(
        func=cmd_db_url
    )
    sub.add_parser(
        "env", help="print the exports one process needs to run alone (database, identity provider)"
    ).set_defaults(func=cmd_env)

    token = sub.add_parser("token", help="print a development bearer token")
    token.add_argument(
        "--role", default="coordinator", help="coordinator, hr-integration, ops, privacy-officer or user"
    )
    token.add_argument("--email", help="the person (demo e-mail); their oid is derived from it")
    token.add_argument("--oid", help="an explicit Entra object id")
    token.add_argument("--name")
    token.add_argument("--hours", type=int, default=8)
    token.set_defaults(func=cmd_token)

    sub.add_parser("seed", help="load the demo data (idempotent)").set_defaults(func=cmd_seed)

    openapi = sub.add_parser("openapi", help="write openapi/ from the code (or --check for drift)")
    openapi.add_argument("--check", action="store_true")
    openapi.set_defaults(func=cmd_openapi)

    make = sub.add_parser("makemigration", help="draft an Alembic migration for one schema")
    make.add_argument("schema", choices=["eventbus", "catalog", "enrollment", "feedback"])
    make.add_argument("-m", "--message", required=True)
    make.set_defaults(func=cmd_makemigration)

    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result
