"""Property-based requests for every operation in the published OpenAPI document: none may answer 5xx,
and every answer must conform to the document (status code, content type, headers, body schema).

Schemathesis generates valid and invalid paths, queries and bodies from the merged document and sends
them through the gateway to the real services, signed in with every role. The seed is fixed so CI is
repeatable; run with another seed (or none) to explore further:

    .venv/bin/schemathesis run http://127.0.0.1:8000/openapi.json -H "Authorization: Bearer $TOKEN" \\
        -c not_a_server_error
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from services.kernel.settings import REPO_ROOT
from tests.e2e.stack import Stack
from tests.support import TokenFactory

SEED = "126600419491941602857956617999016436574"


def test_no_generated_request_gets_a_server_error(stack: Stack, tokens: TokenFactory) -> None:
    token = tokens("coordinator", "ops", "hr-integration")
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{stack.gateway}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance,response_headers_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "10",
        "--seed",
        SEED,
        "--request-timeout",
        "10",
        "--no-color",
    ]
    result = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    summary = "\n".join(result.stdout.splitlines()[-40:])
    assert result.returncode == 0, summary
    assert " passed" in summary
