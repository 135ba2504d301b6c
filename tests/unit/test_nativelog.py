"""Native libraries' stderr lines become log lines: split, cut, passed on as JSON, rate limited."""

from __future__ import annotations

import json

from signify.nativelog import MAX_LINE_CHARS, MAX_PENDING_BYTES, LineGate, NativeLine


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def texts(lines: list[NativeLine]) -> list[str]:
    return [line.text for line in lines]


def test_lines_are_split_across_reads_and_blank_ones_dropped() -> None:
    gate = LineGate(clock=Clock())
    assert gate.feed(b"Corrupt JPEG data: premature ") == []
    assert texts(gate.feed(b"end of data segment\n\n  \nlibpng error: IDAT: CRC error\r\nW0000 par")) == [
        "Corrupt JPEG data: premature end of data segment",
        "libpng error: IDAT: CRC error",
    ]
    assert texts(gate.close()) == ["W0000 par"]


def test_a_json_object_passes_as_it_is_anything_else_is_wrapped() -> None:
    gate = LineGate(clock=Clock())
    line = json.dumps({"level": "INFO", "message": "from a child"})
    lines = gate.feed(f"{line}\n[1, 2]\n{{not json\n".encode())
    assert [(line.text, line.is_json) for line in lines] == [(line, True), ("[1, 2]", False), ("{not json", False)]


def test_long_lines_are_cut_and_bytes_that_are_not_utf8_replaced() -> None:
    gate = LineGate(clock=Clock())
    (line,) = gate.feed(b"x" * (MAX_LINE_CHARS * 3) + b"\n")
    assert line.text == "x" * MAX_LINE_CHARS + "..."
    assert texts(gate.feed(b"caf\xe9\n")) == ["caf\ufffd"]


def test_a_line_without_end_is_forwarded_once_and_its_rest_dropped() -> None:
    gate = LineGate(clock=Clock())
    first = gate.feed(b"y" * (MAX_PENDING_BYTES + 1))
    assert texts(first) == ["y" * MAX_LINE_CHARS + "..."]
    assert gate.feed(b"y" * MAX_PENDING_BYTES * 2) == []
    assert texts(gate.feed(b"yyy\nnext\n")) == ["next"]


def test_beyond_the_limit_lines_are_counted_and_the_count_logged_once_a_second() -> None:
    clock = Clock()
    gate = LineGate(limit=5, clock=clock)
    shown = gate.feed(b"".join(b"libpng error %d\n" % i for i in range(100)))
    assert texts(shown) == [f"libpng error {i}" for i in range(5)]
    assert gate.idle() == []  # the second is not over
    clock.now += 1.0
    assert gate.idle() == [NativeLine("native lines suppressed: 95 (more than 5 a second)", suppressed=95)]
    assert gate.idle() == []
    assert texts(gate.feed(b"again\n")) == ["again"]


def test_the_count_comes_before_the_first_line_of_the_next_second_and_at_the_end() -> None:
    clock = Clock()
    gate = LineGate(limit=1, clock=clock)
    assert texts(gate.feed(b"a\nb\nc\n")) == ["a"]
    clock.now += 1.5
    assert texts(gate.feed(b"d\ne\n")) == ["native lines suppressed: 2 (more than 1 a second)", "d"]
    assert gate.close() == [NativeLine("native lines suppressed: 1 (more than 1 a second)", suppressed=1)]
