"""API schemas of answering: invitations, credentials and ballots."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ConfigDict, Field

from services.feedback.answering.blindrsa import VARIANT
from services.feedback.surveys.questions import Question, Slug
from services.kernel.paging import Page
from services.kernel.schemas import Base64Url, OsloDatetime, ReadModel, WriteModel


class InvitationPublic(ReadModel):
    """A survey you are invited to, with what your client needs to answer it anonymously."""

    survey_id: uuid.UUID
    title: str
    kind: str
    open_until: OsloDatetime
    open: bool = Field(description="The survey takes credentials and ballots now.")
    credential_issued: bool = Field(
        description="A credential was signed for you. Whether you answered is not known to the service: "
        "your client keeps that."
    )
    public_key: Base64Url | None = Field(
        description=f"The survey's public key ({VARIANT}, RFC 9474), as SubjectPublicKeyInfo (DER) in "
        "base64url: what WebCrypto's `importKey('spki', …)` reads. Null once the survey has closed."
    )
    variant: str = Field(default=VARIANT, description="The RFC 9474 variant the key is used with.")
    org_unit_id: uuid.UUID | None = Field(
        description="Your org unit as the directory has it, for your client to send with the ballot."
    )
    description: str | None
    questions: list[Question]


class InvitationPage(Page[InvitationPublic]):
    """A page of the signed-in person's invitations."""


class CredentialRequest(WriteModel):
    survey_id: uuid.UUID
    blinded_message: Base64Url = Field(
        description="RFC 9474 `Blind` output for your token under the survey's public key (256 bytes)."
    )


class CredentialsRequest(WriteModel):
    """Credentials for several surveys at once: ask for every open invitation when you first list them,
    not when you answer, so the moment you answer is not the moment you asked."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "requests": [
                        {
                            "survey_id": "5d1c9a0e-8f3b-4c27-9a41-2b7e6f0d3c18",
                            "blinded_message": "qj7gRRONh0ZpaF_675YsdpSpRQqptP1kZdubO3WlIruSHEwP3N-ulmdZ",
                        }
                    ]
                }
            ]
        }
    )
    requests: list[CredentialRequest] = Field(min_length=1, max_length=50)


class Credential(ReadModel):
    survey_id: uuid.UUID
    blind_signature: Base64Url = Field(description="RFC 9474 `BlindSign` output: unblind it with `Finalize`.")


class CredentialsIssued(ReadModel):
    credentials: list[Credential]


class BallotCreate(WriteModel):
    """An answer, sent without any sign-in: the token and its unblinded signature prove the right to
    answer once; nothing in it says who you are."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "hBfmmbIZ1YP7YhauDFPKDpcjRC0C8dGjQpVSfn2SnouPPcb7jEoC9NY1Lt8JB4Is",
                    "signature": "GR6UHFdRDiLSmvrSV95cpDbSMWIh_ocMfLdSBabAccJzWu0LwkwdHrA",
                    "answers": {"useful": 4, "relevant": 5, "collaboration": 3, "format": "good"},
                    "org_unit_id": "0b6a4c8e-1d2f-4e3a-9b5c-7d8e9f0a1b2c",
                }
            ]
        }
    )
    token: Base64Url = Field(
        description="The message your client prepared (RFC 9474 `Prepare`: 32 random bytes, then your "
        "random token)."
    )
    signature: Base64Url = Field(description="The signature `Finalize` gave you for the token.")
    answers: dict[Slug, Any] = Field(
        description="Question key to answer: 1–5 for a scale, an option key for single choice, a list of "
        "option keys for multiple choice, text for free text. Optional questions may be left out."
    )
    org_unit_id: uuid.UUID | None = Field(
        default=None,
        description="Your org unit (the `org_unit_id` of your invitation), for reports by unit and sector. "
        "The service keeps it only as far as it hides you among enough people.",
    )


class BallotReceipt(ReadModel):
    """What the respondent gets back: no ballot id, nothing that could later find the answer."""

    survey_id: uuid.UUID
    results_after: OsloDatetime = Field(description="Answers are released when the survey closes.")
