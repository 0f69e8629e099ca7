"""What the audit log's codes mean, for people: action names and detail keys in the UI language.
The log itself (and its CSV) keeps the raw codes, which the hash chain covers."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask_babel import format_datetime

from ..i18n import lazy_gettext as _l

ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")

ACTIONS = {
    "certificate.issued": _l("Certificate issued"),
    "certificate.issue_failed": _l("Certificate could not be issued"),
    "certificate.downloaded": _l("Certificate downloaded"),
    "certificate.revoked": _l("Certificate revoked"),
    "certificate.reissued": _l("Certificate re-issued"),
    "certificate.signed": _l("Certificate signed after issue"),
    "certificates.key_rotated": _l("Signing key replaced"),
    "certificates.key_trusted": _l("Signing certificate trusted"),
    "enrolment.refresher": _l("Enrolled for the refresher"),
    "enrolment.recertification": _l("Enrolled again after revocation"),
    "enrolment.due_extended": _l("Due date extended"),
    "course.assigned": _l("Course assigned"),
    "employees.imported": _l("Employees imported"),
    "user.roles": _l("Roles changed"),
    "account.link_created": _l("Activation link created"),
    "account.link_sent": _l("Activation link emailed"),
    "account.activated": _l("Password set through a link"),
    "report.cohort": _l("Training statistics report downloaded"),
    "report.trainee": _l("Trainee report downloaded"),
    "export.csv": _l("Roster exported (CSV)"),
    "export.xlsx": _l("Roster exported (Excel)"),
    "export.results_csv": _l("Course results exported (CSV)"),
    "export.results_xlsx": _l("Course results exported (Excel)"),
    "export.certificates_zip": _l("Certificates downloaded (ZIP)"),
    "export.audit_bundle": _l("Audit bundle downloaded"),
    "export.audit_csv": _l("Audit log exported"),
    "demo.trainees_created": _l("Demo trainees created"),
    "content.imported": _l("Content imported"),
    "content.exported": _l("Course package downloaded"),
    "content.published": _l("Content published"),
    "content.approved": _l("Draft approved"),
    "content.returned": _l("Draft sent back"),
    "content.rolled_back": _l("Content rolled back"),
    "content.retired": _l("Content retired"),
    "content.created": _l("Module or activity created as a draft"),
    "content.renamed": _l("Module or activity renamed"),
    "content.reordered": _l("Modules or activities reordered"),
    "content.restored": _l("Retired item restored as a draft"),
    "package.imported": _l("Course package imported"),
}

DETAILS = {
    "holder": _l("Holder"), "employee_no": _l("Employee no."), "course": _l("Course"),
    "reason": _l("Reason"), "error": _l("Error"), "new_serial": _l("New certificate"),
    "roles": _l("Roles"), "previous": _l("Before"), "rows": _l("Rows"), "certificates": _l("Certificates"),
    "filters": _l("Filters"), "from": _l("From"), "to": _l("To"), "departments": _l("Departments"),
    "cohorts": _l("Cohorts"), "due_on": _l("Due date"), "due_at": _l("Due date"),
    "due_changed": _l("Due dates changed"), "enrolled": _l("Enrolled"), "created": _l("Created"),
    "updated": _l("Updated"), "cycle": _l("Cycle"), "first": _l("First"), "last": _l("Last"),
    "seed": _l("Seed"), "csv": _l("File"), "sha256": "SHA-256", "employees": _l("Employees"),
    "changes": _l("Due date changes"),
    "old_sha256": _l("SHA-256 before"), "retired_key": _l("Retired key"), "current": _l("Current key"),
    "valid_days": _l("Valid for (days)"), "reset": _l("Password reset"), "email": _l("Email"),
    "author": _l("Author"), "revisions": _l("New revisions"), "retired": _l("Retired"),
    "message": _l("Message"), "approved_by": _l("Approved by"), "draft_author": _l("Draft author"),
    "version": _l("Draft version"),
}


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def readable_details(details: dict[str, Any]) -> list[tuple[str, str]]:
    """Each detail as (label, text): lists joined, nested values as plain JSON, Chinese as is."""
    shown = []
    for key, value in details.items():
        if value in (None, "", [], {}):
            text = "—"
        elif isinstance(value, list | tuple):
            text = "、".join(str(item) for item in value) if all(
                not isinstance(item, dict | list) for item in value) else _json(value)
        elif isinstance(value, dict):
            text = "；".join(f"{k}: {v}" for k, v in value.items()) if all(
                not isinstance(v, dict | list) for v in value.values()) else _json(value)
        else:
            text = _moment(value) if isinstance(value, str) else str(value)
        shown.append((str(DETAILS.get(key, key)), text))
    return shown


def _moment(value: str) -> str:
    """A moment recorded as ISO 8601 with its offset, in the site's time and the user's language
    (as every page shows one); any other text as it is."""
    if not ISO_MOMENT.match(value):
        return value
    try:
        return format_datetime(datetime.fromisoformat(value), "medium")
    except ValueError:
        return value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
