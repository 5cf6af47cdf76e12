"""Reports on released responses, with the anonymity threshold enforced by the server."""
