"""What a chat message is, wherever it comes from (the page, /api/chat, the OpenAI route):
its limits and its text."""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_CHARS = 4000
MAX_HISTORY_TURNS = 40


def message_text(content: Any) -> str:
    """The text of a chat message: a string, or the text parts of a list of parts (OpenAI's
    and Gradio's message formats); none for null (an OpenAI tool call's turn)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content
                        if isinstance(part, dict) and part.get("type", "text") == "text")
    return str(content)
