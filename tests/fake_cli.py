"""The CLI in a process of its own, as `python -m assistant` but with the fake embedder,
for the tests of what several processes do at once (the refresh lock).

    python -m tests.fake_cli ARGS...        the CLI (its exit codes and error lines)
    python -m tests.fake_cli hold SECONDS   take the index's refresh lock, print "held",
                                            keep it until a line on stdin or SECONDS,
                                            release it and exit 0
"""

from __future__ import annotations

import select
import sys

from assistant import cli
from assistant.container import build_services
from assistant.errors import AssistantError
from assistant.settings import load_settings
from tests.fakes import HashingEmbedder


def main(args: list[str]) -> None:
    services = build_services(load_settings(), embedder=HashingEmbedder())
    if args[:1] == ["hold"]:
        try:
            with services.store.locked():
                print("held", flush=True)
                select.select([sys.stdin], [], [], float(args[1]))
        except AssistantError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(exc.exit_code)
        return
    cli._state["services"] = services
    sys.argv = ["assistant", *args]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
