"""What a certificate says, frozen when it is issued so a later edit never changes it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

DEFAULT_ISSUER = "信用卡催收培训中心"


@dataclass(frozen=True, kw_only=True)
class CertificateSnapshot:
    serial: str                      # e.g. "CC-2026-000123"
    holder_name: str
    employee_no: str | None
    department: str | None
    course_title: str
    hours: float                     # credited by the rule in lms.learning.reading
    score: float | None              # overall percent, None when the course has no graded part
    issued_on: date
    expires_on: date | None
    verify_url: str
    issuer: str = DEFAULT_ISSUER
    signatory_name: str
    signatory_title: str
    #: recorded engaged minutes: {"minutes": total, "required_minutes": …, "modules": {slug: minutes}}
    reading: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CertificateSnapshot:
        """The inverse of :meth:`to_json` (as stored with the certificate)."""
        expires_on = data["expires_on"]
        return cls(**{
            **data,
            "issued_on": date.fromisoformat(data["issued_on"]),
            "expires_on": date.fromisoformat(expires_on) if expires_on else None,
        })

    def to_json(self) -> dict[str, Any]:
        """Every field, dates as ISO strings."""
        data = asdict(self)
        data["issued_on"] = self.issued_on.isoformat()
        data["expires_on"] = self.expires_on.isoformat() if self.expires_on else None
        return data
