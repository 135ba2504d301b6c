"""Every refusal of a release, on real files; the directory store; the S3 store against a real S3-compatible
server (moto's, on loopback), including a corrupted download."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from signify.models.__main__ import main as models_command
from signify.models.loading import load_release
from signify.models.store import DirectoryStore, S3Store, stamp_card
from signify.recognition.model import ModelError

from testkit.model_files import LETTERS, Defect, model_bytes, write_release

WINDOW = 32


def refusal(path: Path) -> str:
    with pytest.raises(ModelError) as refused:
        load_release(path, WINDOW)
    return refused.value.check


def test_a_sound_release_loads_and_answers_its_letter(tmp_path: Path) -> None:
    model = load_release(write_release(tmp_path, "1.0.0", "Q"), WINDOW)
    assert model.version == "1.0.0" and model.embedding_size == 8


@pytest.mark.parametrize(("defect", "check"), [
    (Defect(nan=True), "warm_up"),
    (Defect(unnormalized=True), "warm_up"),
    (Defect(landmark_dims=2), "signature"),
    (Defect(classes=25), "signature"),
    (Defect(output_name="letters"), "signature"),
])
def test_a_model_that_cannot_answer_as_the_server_needs_is_refused(tmp_path: Path, defect: Defect, check: str) -> None:
    assert refusal(write_release(tmp_path, "2.0.0", defect=defect)) == check


def test_the_card_must_list_the_26_letters(tmp_path: Path) -> None:
    assert refusal(write_release(tmp_path, "2.0.0", labels=[*LETTERS[:25], "1"])) == "labels"


def test_a_file_that_differs_from_its_card_or_a_card_without_digest_is_refused(tmp_path: Path) -> None:
    path = write_release(tmp_path, "2.0.0")
    path.write_bytes(model_bytes("B"))  # replaced after the card was written
    assert refusal(path) == "sha256"
    assert refusal(write_release(tmp_path, "2.0.1", stamp=False)) == "sha256"


def test_a_truncated_file_is_refused_by_its_digest_and_by_the_loader_once_stamped(tmp_path: Path) -> None:
    path = write_release(tmp_path, "2.0.0")
    path.write_bytes(path.read_bytes()[:200])
    assert refusal(path) == "sha256"
    stamp_card(path)  # the digest of the truncated file: now onnxruntime itself refuses it
    assert refusal(path) == "load"


def test_a_missing_card_or_file_is_refused(tmp_path: Path) -> None:
    path = write_release(tmp_path, "2.0.0")
    path.with_suffix(".json").unlink()
    assert refusal(path) == "card"
    assert refusal(tmp_path / "absent.onnx") == "card"
    other = write_release(tmp_path, "2.0.1")
    other.with_suffix(".json").write_text("{not json", encoding="utf-8")
    assert refusal(other) == "card"


def test_the_stamp_command_keeps_the_card_and_the_check_command_names_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_release(tmp_path, "1.0.0", stamp=False)
    before = json.loads(path.with_suffix(".json").read_text())
    assert models_command(["check", str(path)]) == 1
    assert "refused by check sha256" in capsys.readouterr().err
    assert models_command(["stamp", str(path)]) == 0
    after = json.loads(path.with_suffix(".json").read_text())
    assert after.pop("sha256") and after == before
    assert models_command(["check", str(path)]) == 0


def test_the_directory_store_lists_by_version_and_reports_what_it_skipped(tmp_path: Path) -> None:
    for version in ("1.10.0", "1.9.0", "1.2.0-rc1"):
        write_release(tmp_path, version)
    (tmp_path / "orphan.onnx").write_bytes(b"x")
    write_release(tmp_path, "1.9.0", name="copy")  # a second 1.9.0
    listing = DirectoryStore(tmp_path).list()
    assert [r.version for r in listing.releases] == ["1.2.0-rc1", "1.9.0", "1.10.0"]
    assert listing.newest is not None and listing.newest.version == "1.10.0"
    assert len(listing.problems) == 2


def test_the_shipped_model_is_a_release_of_the_default_store() -> None:
    from signify.config import DEFAULT_MODEL_PATH

    listing = DirectoryStore(DEFAULT_MODEL_PATH.parent).list()
    shipped = [r for r in listing.releases if r.model == DEFAULT_MODEL_PATH.name]
    assert shipped and shipped[0].sha256 is not None
    load_release(DEFAULT_MODEL_PATH, WINDOW)


# ---- S3-compatible store --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3-compatible server on loopback, for real HTTP requests from boto3."""
    server_module = pytest.importorskip("moto.server")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Any]:
    import boto3

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    name = f"models-{abs(hash(request.node.name)) % 10**8}"
    client.create_bucket(Bucket=name)
    yield client, name


def upload(client: Any, bucket: str, directory: Path, prefix: str = "releases/") -> None:
    for file in sorted(directory.iterdir()):
        client.put_object(Bucket=bucket, Key=prefix + file.name, Body=file.read_bytes())


def test_the_s3_store_lists_downloads_verifies_and_caches(
    tmp_path: Path, bucket: tuple[Any, str], s3_endpoint: str
) -> None:
    client, name = bucket
    write_release(tmp_path / "out", "1.0.0", "A")
    write_release(tmp_path / "out", "2.0.0", "B")
    upload(client, name, tmp_path / "out")
    client.put_object(Bucket=name, Key="releases/nested/ignored.onnx", Body=b"x")
    store = S3Store(f"s3://{name}/releases", tmp_path / "cache", s3_endpoint)
    listing = store.list()
    assert [r.version for r in listing.releases] == ["1.0.0", "2.0.0"]
    release = listing.find("2.0.0")
    assert release is not None
    path = store.fetch(release)
    assert path.parent == tmp_path / "cache" / "2.0.0"
    model = load_release(path, WINDOW)
    assert model.predict(__import__("numpy").zeros((4, 21, 3), "float32")).top(1)[0][0] == "B"
    assert not list(path.parent.glob("*.part"))
    # A cached, verified copy is used without a download; a damaged one is fetched again.
    client.delete_object(Bucket=name, Key="releases/asl-lstm-2.0.0.onnx")
    assert store.fetch(release) == path
    path.write_bytes(b"damaged")
    client.put_object(Bucket=name, Key="releases/asl-lstm-2.0.0.onnx", Body=model_bytes("B"))
    load_release(store.fetch(release), WINDOW)


def test_a_corrupted_download_is_refused_and_never_reaches_the_cache(
    tmp_path: Path, bucket: tuple[Any, str], s3_endpoint: str
) -> None:
    client, name = bucket
    write_release(tmp_path / "out", "3.0.0", "C")
    upload(client, name, tmp_path / "out")
    good = (tmp_path / "out" / "asl-lstm-3.0.0.onnx").read_bytes()
    client.put_object(Bucket=name, Key="releases/asl-lstm-3.0.0.onnx", Body=good[: len(good) // 2])  # cut
    store = S3Store(f"s3://{name}/releases", tmp_path / "cache", s3_endpoint)
    release = store.list().find("3.0.0")
    assert release is not None
    with pytest.raises(ModelError) as refused:
        store.fetch(release)
    assert refused.value.check == "sha256"
    cache = tmp_path / "cache"
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))
