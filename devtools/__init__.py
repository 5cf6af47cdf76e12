"""Development tooling, never part of the production package: `make run`'s supervisor, the embedded
PostgreSQL, the development identity provider, the demo data, the OpenAPI writer and the process stack
the end-to-end tests and benchmarks start. `python -m devtools --help` lists its commands."""
