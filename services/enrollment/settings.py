"""Enrollment settings (env prefix `ENROLLMENT_`)."""

from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.kernel.settings import DATA_DIR, ServiceSettings


class MailSecurity(StrEnum):
    starttls = "starttls"
    tls = "tls"
    none = "none"


class EnrollmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ENROLLMENT_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "enrollment"
    port: int = 8002
    # The HR system's full syncs (60,000 people in one body), as the gateway allows them.
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {"/directory/": 32 * 1_048_576},
        description="Body limits for path prefixes, overriding `max_body_bytes` (JSON object).",
    )
    directory_max_deactivate_share: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="A full HR sync deactivating a larger share is refused unless forced.",
    )
    mail_smtp_host: str | None = Field(
        default=None, description="SMTP server; unset: mails are written as .eml files to mail_directory."
    )
    mail_smtp_port: int = Field(default=587, ge=1, le=65535)
    mail_smtp_security: MailSecurity = Field(
        default=MailSecurity.starttls, description="starttls (port 587), tls (implicit, 465) or none."
    )
    mail_smtp_username: str | None = None
    mail_smtp_password: SecretStr | None = None
    mail_smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_sender: str = "Lederutvikling i Oslo kommune <lederutvikling@oslo.kommune.no>"
    frontend_url: str = Field(
        default="https://intranett.oslo.kommune.no/lederutvikling",
        description="The intranet's programme pages: mails link to its 'Mine påmeldinger' page.",
    )
    reminders_enabled: bool = Field(default=True, description="Send reminders before sessions at all.")
    reminder_days_before: int = Field(
        default=2, ge=0, le=60, description="Days before the day a session starts that its reminder goes."
    )
    reminder_hour: int = Field(
        default=9, ge=8, le=20, description="The hour (Oslo time) on that day that reminders fall due."
    )
    reminder_sweep_seconds: float = Field(
        default=300.0, gt=0, description="How often due reminders are sought."
    )
    erasure_sweep_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often departed people are erased and erasures every service acted on scrubbed "
        "from the event payloads.",
    )
    mail_directory: Path = Field(
        default=DATA_DIR / "mail", description="Where .eml files go when no SMTP server is set."
    )
    webhook_allowed_networks: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="Networks webhook endpoints may be on although not public (JSON list of CIDRs, e.g. "
        '`["10.20.0.0/16"]`); loopback, private, link-local and other non-public addresses are refused '
        "otherwise.",
    )
    webhook_allow_http: bool = Field(
        default=False,
        description="Accept `http://` webhook URLs (development and tests only; deliveries are otherwise "
        "`https://`).",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=20,
        description="How long a delivery may take, connecting and answering together.",
    )
    webhook_retry_base_seconds: float = Field(
        default=5.0, gt=0, description="The wait after a delivery's first failure; it doubles each time."
    )
    webhook_retry_max_seconds: float = Field(
        default=3600.0, gt=0, description="The longest wait between two attempts at a delivery."
    )
    webhook_disable_after_seconds: float = Field(
        default=3 * 24 * 3600.0,
        gt=0,
        description="An endpoint whose deliveries have failed without a success for this long (and at "
        "least `webhook_disable_after_attempts` times) is disabled.",
    )
    webhook_disable_after_attempts: int = Field(default=10, ge=1)
    webhook_secret_overlap_seconds: float = Field(
        default=24 * 3600.0,
        ge=0,
        description="After a secret rotation, how long deliveries carry a signature with the old secret too.",
    )
    webhook_connections: int = Field(
        default=4, ge=1, le=32, description="Deliveries under way at once, across all endpoints."
    )
    webhook_sync_seconds: float = Field(
        default=2.0, gt=0, description="How often the delivery loops are matched to the endpoints stored."
    )
