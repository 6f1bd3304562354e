"""Problems found in an archive, reported as ``path:line: message``.

Every stage collects problems instead of stopping at the first, so a user
sees all of them in one run; the CLI prints them and exits with status 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One error or warning tied to a file and (when known) a line."""

    path: str
    line: int | None
    message: str
    hint: str = ""
    severity: str = "error"  # "error" or "warning"

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ContentError(Exception):
    """Raised for one problem where collecting is not possible."""

    def __init__(self, path: str, line: int | None, message: str, hint: str = ""):
        super().__init__(message)
        self.problem = Problem(path, line, message, hint)

    def __reduce__(self):  # picklable, so it crosses from a worker process intact
        p = self.problem
        return (ContentError, (p.path, p.line, p.message, p.hint))


def by_place(problems: list[Problem]) -> list[Problem]:
    """Problems in reading order: by file, then line (a file's own problems first)."""
    return sorted(problems, key=lambda p: (p.path, p.line or 0))


class BuildFailed(Exception):
    """The build stopped on content errors; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None):
        super().__init__(f"{len(problems)} error(s)")
        self.problems = problems
        # the warnings found on the way, shown with the errors: a misspelt field's
        # "did you mean" should not wait for the next run
        self.warnings = warnings or []

    def __reduce__(self):
        return (BuildFailed, (self.problems, self.warnings))

    def listing(self) -> list[Problem]:
        """Errors and warnings together, by file and line."""
        return by_place(self.problems + self.warnings)

    def counts(self, noun: str = "error") -> str:
        """'3 errors' or '3 errors, 1 warning' ('3 content errors' with ``noun``)."""
        n, w = len(self.problems), len(self.warnings)
        text = f"{n} {noun}{'s' if n != 1 else ''}"
        return text + (f", {w} warning{'s' if w != 1 else ''}" if w else "")


class WorkerDied(RuntimeError):
    """A worker process (``workers.Workers``) ended without sending its result: killed, or
    out of memory. Not a fault of the archive, nor of archivegen: the command line says so."""


@dataclass
class Problems:
    """A collector shared by the stages of one build."""

    items: list[Problem] = field(default_factory=list)

    def error(self, path: str | Path, line: int | None, message: str, hint: str = "") -> None:
        self.items.append(Problem(str(path), line, message, hint, "error"))

    def warning(self, path: str | Path, line: int | None, message: str, hint: str = "") -> None:
        self.items.append(Problem(str(path), line, message, hint, "warning"))

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise BuildFailed(by_place(self.errors), self.warnings)
