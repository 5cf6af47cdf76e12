"""The test suite: every test runs against a real PostgreSQL with the migrations applied."""
