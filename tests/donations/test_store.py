"""The donation store on real SQLite files: what goes in comes out bit for bit, and a bad file is a StoreError."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from signify.donations.store import (
    MAX_FRAMES,
    SCHEMA_VERSION,
    DonatedWindow,
    DonationStore,
    StoreError,
    check_window,
    decode_frames,
    encode_frames,
    valid_contributor,
)

ALICE = "alice-0001"
BOB = "bob_00000002"
NOBODY_UID = NOBODY_GID = 65534


def window(letter: str = "A", frames: int = 32, seed: int = 0) -> DonatedWindow:
    """A window of random values, with the awkward float32s (-0.0, subnormals, extremes) in it."""
    rng = np.random.default_rng(seed)
    keypoints = rng.standard_normal((frames, 21, 3)).astype(np.float32)
    keypoints.flat[:4] = [-0.0, np.float32(1e-45), np.finfo(np.float32).max, np.finfo(np.float32).min]
    placements = rng.standard_normal((frames, 4)).astype(np.float32)
    return DonatedWindow(letter, keypoints, placements)


@pytest.fixture
def store(tmp_path: Path) -> DonationStore:
    return DonationStore(tmp_path / "data" / "donations.sqlite3")


# --- the pure parts


@pytest.mark.parametrize("text", ["abcdefgh", "A-b_C-d_", "x" * 64, "0123456789"])
def test_valid_contributor_ids(text: str) -> None:
    assert valid_contributor(text)


@pytest.mark.parametrize("text", ["short", "x" * 65, "has space", "dot.dot.dot", "ümlauts-äöü", "semi;colon",
                                  "", "abcdefgh\n", None, 12345678, b"abcdefgh", ["abcdefgh"]])
def test_invalid_contributor_ids(text: object) -> None:
    assert not valid_contributor(text)


def test_arrays_encode_to_little_endian_float32_and_back_bit_for_bit() -> None:
    keypoints = window().keypoints
    blob = encode_frames(keypoints)
    assert len(blob) == keypoints.size * 4
    assert blob[:4] == np.float32(-0.0).newbyteorder("<").tobytes() or blob[:4] == b"\x00\x00\x00\x80"
    back = decode_frames(blob, 32, (21, 3))
    assert back.dtype == np.float32 and back.flags.writeable
    assert back.tobytes() == keypoints.tobytes()


def test_a_blob_of_the_wrong_length_does_not_decode() -> None:
    blob = encode_frames(window(frames=4).placements)
    with pytest.raises(ValueError, match="bytes"):
        decode_frames(blob, 5, (4,))
    with pytest.raises(ValueError):
        decode_frames(blob[:-1], 4, (4,))


def bad_windows() -> list[tuple[str, DonatedWindow]]:
    good = window(frames=8)
    nan = good.keypoints.copy()
    nan[3, 4, 1] = np.nan
    infinite = good.placements.copy()
    infinite[0, 2] = np.inf
    return [
        ("NaN", DonatedWindow("A", nan, good.placements)),
        ("infinite", DonatedWindow("A", good.keypoints, infinite)),
        ("shape", DonatedWindow("A", good.keypoints[:, :20], good.placements)),
        ("shape", DonatedWindow("A", good.keypoints, good.placements[:, :3])),
        ("shape", DonatedWindow("A", good.keypoints[0], good.placements[0])),
        ("shape", DonatedWindow("A", good.keypoints[:0], good.placements[:0])),
        ("shape", window(frames=MAX_FRAMES + 1)),
        ("frames", DonatedWindow("A", good.keypoints, good.placements[:7])),
        ("float32", DonatedWindow("A", good.keypoints.astype(np.float64), good.placements)),  # type: ignore[arg-type]
        ("float32", DonatedWindow("A", good.keypoints.tolist(), good.placements)),  # type: ignore[arg-type]
        ("letter", DonatedWindow("", good.keypoints, good.placements)),
        ("letter", DonatedWindow("A B", good.keypoints, good.placements)),
    ]


@pytest.mark.parametrize(("what", "bad"), bad_windows())
def test_bad_windows_are_value_errors(what: str, bad: DonatedWindow) -> None:
    with pytest.raises(ValueError, match=what):
        check_window(bad)


def test_one_frame_and_max_frames_windows_are_fine() -> None:
    check_window(window(frames=1))
    check_window(window(frames=MAX_FRAMES))


# --- the file


def test_add_writes_rows_that_read_back_bit_identical(store: DonationStore) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    windows = [window("A", 32, seed=1), window("J", 7, seed=2), window("Z", 1, seed=3)]
    assert store.add(ALICE, "3.1.0", windows) == 3
    assert store.path.is_file()  # directory and file made on first use
    read = list(store.read())
    assert [(d.contributor, d.letter, d.model_version) for d in read] == [(ALICE, "A", "3.1.0"), (ALICE, "J", "3.1.0"),
                                                                         (ALICE, "Z", "3.1.0")]
    for donated, stored in zip(windows, read, strict=True):
        assert stored.keypoints.dtype == stored.placements.dtype == np.float32
        assert stored.keypoints.shape == donated.keypoints.shape
        assert stored.keypoints.tobytes() == donated.keypoints.tobytes()
        assert stored.placements.tobytes() == donated.placements.tobytes()
        # The UTC day only: a row cannot be matched with a connection logged at the same second.
        assert stored.created in {before.date().isoformat(), datetime.now(UTC).date().isoformat()}
        assert len(stored.created) == len("2026-12-01")


def test_the_file_is_sqlite_in_wal_mode_with_the_schema_version_and_no_pickles(store: DonationStore) -> None:
    store.add(ALICE, "3.1.0", [window()])
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        frames, keypoints = connection.execute("SELECT frames, keypoints FROM windows").fetchone()
    connection.close()
    assert frames == 32 and len(keypoints) == 32 * 21 * 3 * 4
    assert not keypoints.startswith(b"\x80")  # a pickle would start with its protocol opcode


def test_an_empty_list_writes_nothing_and_creates_nothing(store: DonationStore) -> None:
    assert store.add(ALICE, "3.1.0", []) == 0
    assert not store.path.parent.exists()
    assert store.count() == 0
    assert list(store.read()) == []


def test_a_missing_file_is_an_empty_store_and_reading_creates_nothing(store: DonationStore) -> None:
    assert store.count() == store.count(ALICE) == store.delete(ALICE) == 0
    assert list(store.read()) == []
    assert not store.path.parent.exists()


def test_one_bad_window_writes_none_of_them(store: DonationStore) -> None:
    store.add(ALICE, "3.1.0", [window()])
    with pytest.raises(ValueError):
        store.add(BOB, "3.1.0", [window("B"), bad_windows()[0][1]])
    assert store.count() == 1 and store.count(BOB) == 0


def test_count_and_delete_go_by_contributor(store: DonationStore) -> None:
    store.add(ALICE, "3.1.0", [window("A"), window("B")])
    store.add(BOB, "3.1.0", [window("C")])
    store.add(ALICE, "3.1.1", [window("D")])
    assert (store.count(), store.count(ALICE), store.count(BOB), store.count("carol-003")) == (4, 3, 1, 0)
    assert store.delete(ALICE) == 3
    assert store.delete(ALICE) == 0
    assert (store.count(), store.count(ALICE), store.count(BOB)) == (1, 0, 1)
    assert [(d.contributor, d.letter) for d in store.read()] == [(BOB, "C")]


@pytest.mark.parametrize("contributor", ["short", "x" * 65, "bad id!!", 12345678])
def test_invalid_contributor_ids_are_refused_before_the_file_is_touched(
    store: DonationStore, contributor: str
) -> None:
    for call in (lambda: store.add(contributor, "3.1.0", [window()]), lambda: store.delete(contributor),
                 lambda: store.count(contributor)):
        with pytest.raises(ValueError, match="contributor"):
            call()
    assert not store.path.parent.exists()


@pytest.mark.parametrize("version", ["", "3.1 beta", "v" * 65, None])
def test_invalid_model_versions_are_refused(store: DonationStore, version: str) -> None:
    with pytest.raises(ValueError, match="model version"):
        store.add(ALICE, version, [window()])


def donate_at_once(store: DonationStore, *, adds: int, windows: int, donors: int = 6) -> list[BaseException]:
    """``donors`` threads started together, each adding ``windows`` windows ``adds`` times under its own id
    (``thread-0000`` on); what they raised."""
    errors: list[BaseException] = []

    def donate(number: int) -> None:
        try:
            for _ in range(adds):
                store.add(f"thread-{number:04d}", "3.1.0", [window(seed=number)] * windows)
        except BaseException as exc:  # returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=donate, args=(n,)) for n in range(donors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_several_threads_add_at_once_and_every_row_lands(tmp_path: Path) -> None:
    # What is tested is that every row lands, not how fast: SQLite's busy handler is not fair, and on a
    # loaded machine (the whole suite, CI) one of six writers could wait past the server's 1 s default.
    store = DonationStore(tmp_path / "data" / "donations.sqlite3", timeout=30.0)
    assert donate_at_once(store, adds=5, windows=4) == []
    assert store.count() == 6 * 5 * 4
    assert store.count("thread-0003") == 20


def test_donors_writing_a_new_file_at_once_all_land(tmp_path: Path) -> None:
    # The first writes to a new file switch it to WAL mode, which SQLite refused at once ("database is
    # locked", no busy wait) in about one try in twelve when another connection was in the way.
    for trial in range(24):
        store = DonationStore(tmp_path / f"fresh-{trial}" / "donations.sqlite3", timeout=30.0)
        assert donate_at_once(store, adds=1, windows=1) == [], trial
        assert store.count() == 6


def test_a_locked_database_is_a_store_error_within_about_the_timeout(tmp_path: Path) -> None:
    store = DonationStore(tmp_path / "donations.sqlite3", timeout=0.3)
    store.add(ALICE, "3.1.0", [window()])
    holder = sqlite3.connect(store.path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        for call in (lambda: store.add(BOB, "3.1.0", [window()]), lambda: store.delete(ALICE)):
            started = time.monotonic()
            with pytest.raises(StoreError, match="locked") as caught:
                call()
            assert 0.25 <= time.monotonic() - started < 2.0
            assert str(store.path) in str(caught.value)
        # WAL: readers do not wait for the writer
        assert store.count() == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.count(ALICE) == 1 and store.count(BOB) == 0


@contextmanager
def unprivileged(path: Path) -> Iterator[None]:
    """Run the block as a user without rights over ``path`` (root ignores file modes).

    As root, the effective uid and gid drop to nobody's for the block, and the
    directories above ``path`` get search permission (o+x) meanwhile, so
    that nobody can reach it: it can read what is readable, and write only
    what is writable by others.
    """
    if os.geteuid() != 0:
        yield
        return
    opened = []
    for ancestor in [path, *path.parents]:
        mode = stat.S_IMODE(ancestor.stat().st_mode)
        if ancestor.is_dir() and not mode & stat.S_IXOTH:
            opened.append((ancestor, mode))
            ancestor.chmod(mode | stat.S_IXOTH)
    os.setegid(NOBODY_GID)  # first: with root's group, the group bits (not the others') would apply
    os.seteuid(NOBODY_UID)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
        for ancestor, mode in opened:
            ancestor.chmod(mode)


def test_a_read_only_file_is_a_store_error_and_keeps_its_rows(tmp_path: Path) -> None:
    folder = tmp_path / "readonly"
    store = DonationStore(folder / "donations.sqlite3")
    store.add(ALICE, "3.1.0", [window("A"), window("B")])
    store.path.chmod(0o444)
    folder.chmod(0o555)
    try:
        with unprivileged(folder):
            for call in (lambda: store.add(BOB, "3.1.0", [window()]), lambda: store.delete(ALICE)):
                with pytest.raises(StoreError) as caught:
                    call()
                message = str(caught.value)
                assert str(store.path) in message and "writable" in message
    finally:
        folder.chmod(0o755)
        store.path.chmod(0o644)
    assert store.count() == store.count(ALICE) == 2
    assert [d.letter for d in store.read()] == ["A", "B"]


def test_a_directory_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    store = DonationStore(tmp_path / "a-file" / "data" / "donations.sqlite3")
    with pytest.raises(StoreError, match="cannot create its directory"):
        store.add(ALICE, "3.1.0", [window()])
    assert store.count() == 0  # nothing there, nothing to count: not an error


def test_a_directory_without_write_permission_is_a_store_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    store = DonationStore(locked / "data" / "donations.sqlite3")
    try:
        with unprivileged(locked), pytest.raises(StoreError, match="cannot create its directory"):
            store.add(ALICE, "3.1.0", [window()])
    finally:
        locked.chmod(0o755)
    assert not (locked / "data").exists()


def test_constructing_a_store_touches_nothing(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    DonationStore(tmp_path / "a-file" / "donations.sqlite3")
    DonationStore(tmp_path / "new" / "donations.sqlite3")
    assert not (tmp_path / "new").exists()


def test_another_schema_version_is_refused_clearly_and_left_alone(store: DonationStore) -> None:
    store.add(ALICE, "3.1.0", [window()])
    with sqlite3.connect(store.path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    for call in (lambda: store.add(ALICE, "3.1.0", [window()]), store.count, lambda: store.delete(ALICE),
                 lambda: list(store.read())):
        with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}.*reads version {SCHEMA_VERSION}"):
            call()
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("SELECT count(*) FROM windows").fetchone()[0] == 1
    connection.close()


def test_another_programs_database_is_refused(store: DonationStore) -> None:
    store.path.parent.mkdir()
    with sqlite3.connect(store.path) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    connection.close()
    with pytest.raises(StoreError, match="another program's"):
        store.add(ALICE, "3.1.0", [window()])
    with pytest.raises(StoreError, match="another program's"):
        store.count()


def test_a_file_that_is_not_sqlite_is_a_store_error(store: DonationStore) -> None:
    store.path.parent.mkdir()
    store.path.write_bytes(b"this is not a database, it is some text that is long enough to be a header" * 20)
    for call in (lambda: store.add(ALICE, "3.1.0", [window()]), store.count, lambda: list(store.read())):
        with pytest.raises(StoreError, match="not an SQLite database"):
            call()


def test_a_damaged_row_is_a_store_error_naming_it(store: DonationStore) -> None:
    store.add(ALICE, "3.1.0", [window("A"), window("B")])
    with sqlite3.connect(store.path) as connection:
        connection.execute("UPDATE windows SET keypoints = x'00' WHERE letter = 'B'")
    connection.close()
    rows = store.read()
    assert next(rows).letter == "A"
    with pytest.raises(StoreError, match="row 2 is damaged"):
        next(rows)


def test_a_reader_left_half_way_lets_writers_on(store: DonationStore) -> None:
    store.add(ALICE, "3.1.0", [window(seed=n) for n in range(3)])
    rows = store.read()
    next(rows)
    assert store.add(BOB, "3.1.0", [window()]) == 1  # WAL: a reader does not block a writer
    rows.close()  # closes its connection
    assert store.count() == 4
