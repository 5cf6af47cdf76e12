"""The browser's half of anonymous answering as the intranet would run it: `@cloudflare/blindrsa-ts`
(the npm package, under Node's WebCrypto) blinds a token and finalizes the signature; the service signs
and accepts the ballot. Proves the two sides of RFC 9474 agree."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kernel.settings import REPO_ROOT
from tests.feedback.support import SESSION_ANSWERS, Respondent, as_, attendance, invitation, rows
from tests.support import TokenFactory

PACKAGE = REPO_ROOT / ".data" / "validators" / "node_modules" / "@cloudflare" / "blindrsa-ts" / "lib" / "src"
CLIENT = Path(__file__).with_name("blind_client.mjs")


def _node(step: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    advice = "run `make install` (Node.js and the npm tools: scripts/install-validators.sh)"
    assert node is not None, advice
    assert (PACKAGE / "index.js").exists(), advice
    done = subprocess.run(  # noqa: S603 - Node on our own script
        [node, str(CLIENT)],
        input=json.dumps(step),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"BLINDRSA": str(PACKAGE / "index.js"), "PATH": str(Path(node).parent)},
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.slow
async def test_the_browser_package_gets_a_credential_and_answers_with_it(
    feedback: httpx.AsyncClient,
    tokens: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    crowd: dict[str, list[Respondent]],
) -> None:
    person = crowd["alna"][0]
    await attendance(sessionmaker, uuid.uuid4(), uuid.uuid4(), attended=[person])
    found = await invitation(feedback, tokens, person)
    blinded = _node({"step": "blind", "public_key": found["public_key"]})
    issued = await feedback.post(
        "/credentials",
        json={"requests": [{"survey_id": found["survey_id"], "blinded_message": blinded["blinded_message"]}]},
        headers=as_(tokens, person),
    )
    assert issued.status_code == 200, issued.text
    final = _node(
        {
            "step": "finalize",
            "public_key": found["public_key"],
            "token": blinded["token"],
            "blind_signature": issued.json()["credentials"][0]["blind_signature"],
            "inv": blinded["inv"],
        }
    )
    ballot = await feedback.post(
        f"/surveys/{found['survey_id']}/ballots",
        json={"token": blinded["token"], "signature": final["signature"], "answers": SESSION_ANSWERS},
    )
    assert ballot.status_code == 202, ballot.text
    assert (await rows(sessionmaker, "SELECT count(*) FROM feedback.ballots"))[0][0] == 1
