"""Shared kernel: settings, database, event bus, sign-in, problem errors, logging and health.

Every service and the gateway use it; no service imports another service's package.
"""
