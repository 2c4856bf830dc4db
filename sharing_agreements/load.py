"""Reading agreement files and checking them together.

:func:`load_agreements` reads every file, validates each one (:class:`Agreement`), then checks
the set: ids unique, every feed and recipient known to the hub, and no two agreements that
could be in force on the same day giving one field two different treatments. Every problem is
reported at once, each naming the file, the agreement and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from schemas.validation_messages import describe_problems
from schemas.yaml_files import parse_yaml
from sharing_agreements.errors import AgreementError
from sharing_agreements.model import Agreement
from sharing_agreements.policy import find_contradictions


def _describe(error: ValidationError) -> list[str]:
    return [f"{problem.where}: {problem.message}" if problem.where else problem.message
            for problem in describe_problems(error, Agreement)]  # fmt: skip


def load_agreement(path: Path) -> Agreement:
    """Read and validate one agreement file; AgreementError names the file and the field."""
    try:
        document = parse_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AgreementError(f"{path}: no such agreement file", file=str(path)) from error
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise AgreementError(f"{path}: not valid YAML ({error})", file=str(path)) from error
    if not isinstance(document, dict):
        raise AgreementError(f"{path}: expected a mapping of settings at the top level")
    label = f"{path}: agreement {document.get('id', path.stem)!r}"
    try:
        agreement = Agreement.model_validate(document)
    except ValidationError as error:
        raise AgreementError(
            "\n".join(f"{label}: {line}" for line in _describe(error)), file=str(path)
        ) from error
    return agreement.model_copy(update={"source_file": path})


@dataclass(frozen=True)
class AgreementSet:
    """Every agreement the hub holds, validated together."""

    agreements: tuple[Agreement, ...]

    def naming(self, recipient: str) -> list[Agreement]:
        """Agreements that name ``recipient``."""
        return [a for a in self.agreements if recipient in a.recipients]

    def get(self, agreement_id: str) -> Agreement | None:
        """The agreement with this id, if any."""
        return next((a for a in self.agreements if a.id == agreement_id), None)


def _where(agreement: Agreement) -> str:
    return f"{agreement.source_file or '(inline)'}: agreement {agreement.id!r}"


def reference_problems(
    agreement: Agreement, feeds: set[str] | None, recipients: set[str] | None
) -> list[str]:
    """Feeds and recipients an agreement names that the hub does not know."""
    problems = []
    where = _where(agreement)
    if feeds is not None:
        named = {
            *agreement.providers,
            *(agreement.subjects.known_to or [] if agreement.subjects else []),
        }
        for unknown in sorted(named - feeds):
            problems.append(
                f"{where}: feed {unknown!r} is not configured "
                f"(feeds: {', '.join(sorted(feeds)) or 'none'})"
            )
    if recipients is not None:
        for unknown in sorted(set(agreement.recipients) - recipients):
            problems.append(
                f"{where}: recipient {unknown!r} is not configured "
                f"(recipients: {', '.join(sorted(recipients)) or 'none'})"
            )
    return problems


def check_agreements(
    agreements: Sequence[Agreement],
    *,
    feeds: Iterable[str] | None = None,
    recipients: Iterable[str] | None = None,
) -> AgreementSet:
    """Check agreements together; AgreementError listing every problem."""
    feed_set = set(feeds) if feeds is not None else None
    recipient_set = set(recipients) if recipients is not None else None
    problems: list[str] = []
    seen: dict[str, Agreement] = {}
    for agreement in agreements:
        if agreement.id in seen:
            problems.append(
                f"{_where(agreement)}: id already used by "
                f"{seen[agreement.id].source_file or 'another agreement'}"
            )
        seen[agreement.id] = agreement
        problems += reference_problems(agreement, feed_set, recipient_set)
    problems += [c.message for c in find_contradictions(agreements)]
    if problems:
        raise AgreementError(
            "\n".join(problems),
            hint="fix the agreement files, then run `iomhub agreements check`",
        )
    return AgreementSet(tuple(agreements))


def load_agreements(
    paths: Iterable[Path],
    *,
    feeds: Iterable[str] | None = None,
    recipients: Iterable[str] | None = None,
) -> AgreementSet:
    """Load every agreement file and check them together; report every problem at once."""
    agreements: list[Agreement] = []
    problems: list[str] = []
    for path in paths:
        try:
            agreements.append(load_agreement(path))
        except AgreementError as error:
            problems.append(error.message)
    if problems:
        raise AgreementError(
            "\n".join(problems),
            hint="fix the agreement files, then run `iomhub agreements check`",
        )
    return check_agreements(agreements, feeds=feeds, recipients=recipients)
