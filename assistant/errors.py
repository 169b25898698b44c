"""Domain errors. They become an exit code and one readable line at the CLI edge."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error a user is meant to read."""

    exit_code = 1


class SettingsError(AssistantError):
    exit_code = 2


class CorpusError(AssistantError):
    """Input that cannot be ingested. `problems` lists every rejected record."""

    exit_code = 3

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        super().__init__(message)


class IndexNotBuilt(AssistantError):
    exit_code = 4


class IndexMismatch(AssistantError):
    """The index was built with another embedding model than the one configured."""

    exit_code = 4


class IndexCorrupt(AssistantError):
    """The pointer to the published generation, or a generation's manifest, is missing,
    dangling or unreadable. Nothing is deleted; the message says how to republish."""

    exit_code = 8


class IndexBusy(AssistantError):
    """Another process is refreshing the same index."""

    exit_code = 5


class BackendUnavailable(AssistantError):
    exit_code = 6


class IndexWriteError(AssistantError):
    """The new generation could not be written (disk full, no permission); the published
    index is untouched."""

    exit_code = 7
