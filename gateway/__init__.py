"""The public entry point: routing to the services, merged OpenAPI, Swagger UI, sign-in."""
