"""Sign-in: OIDC bearer tokens verified against a cached JWKS, and the roles they carry."""
