"""The one user-facing exception and the exit codes of the CLI contract.

`GraderError` is raised where outside data enters (a file, front matter, a rubric, a flag). The CLI prints its
message on one line and exits with `EXIT_ERROR`; a batch records it for the one answer and goes on.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_UNDER_THRESHOLD = 1
EXIT_ERROR = 2


class GraderError(Exception):
    """Bad input: a message a user can act on, optionally naming the file it came from."""

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split())  # always one line
