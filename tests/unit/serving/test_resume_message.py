"""The resume message (PROTOCOL.md): a transcript carried across a reconnect, checked before it is used."""

from __future__ import annotations

import json

import pytest
from signify.serving.protocol import (
    MAX_RESUME_CHARS,
    ProtocolError,
    ResumeMessage,
    dumps,
    parse_message,
    resumed_message,
)


def parse(payload: object) -> object:
    return parse_message(json.dumps(payload), 1, 1 << 20)


@pytest.mark.parametrize("text", ["HELLO WOR", "", "A", "HELLO ", " HI", "Z" * MAX_RESUME_CHARS])
def test_a_transcript_of_capitals_and_single_spaces_is_resumed(text: str) -> None:
    assert parse({"type": "resume", "text": text}) == ResumeMessage(text)


@pytest.mark.parametrize("text", [
    "hello", "HELLO  WORLD", "HÉLLO", "HELLO\nWORLD", "HELLO\tX", "A1", "Z" * (MAX_RESUME_CHARS + 1), None, 42,
    ["H", "I"],
])
def test_anything_else_is_a_bad_message_with_no_id(text: object) -> None:
    with pytest.raises(ProtocolError) as raised:
        parse({"type": "resume", "text": text})
    assert raised.value.code == "bad_message" and raised.value.frame_id is None


def test_a_resume_without_text_is_a_bad_message() -> None:
    with pytest.raises(ProtocolError) as raised:
        parse({"type": "resume"})
    assert raised.value.code == "bad_message"


def test_the_answer_says_the_text_the_session_holds() -> None:
    assert json.loads(dumps(resumed_message("HELLO WOR"))) == {"type": "resumed", "text": "HELLO WOR"}
