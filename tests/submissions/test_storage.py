"""Upload files on disk: a folder removed while the server runs (an operator's clean-up) is
made again for the next file stored there, though this process made it once already."""

from __future__ import annotations

import io
import secrets
import shutil
from pathlib import Path

import pytest

from submissions import storage
from submissions.storage import FOLDER, store_stream


def test_a_folder_removed_since_it_was_made_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    random_hex = secrets.token_hex
    # Every file in one folder (of the 256 a store picks from at random).
    monkeypatch.setattr(
        storage.secrets,
        "token_hex",
        lambda n: "ab" if n == storage.FOLDER_BYTES else random_hex(n),
    )
    first = store_stream(io.BytesIO(b"id,target\n1,0.5\n"), tmp_path, 1_000)
    assert first.relative_path.startswith(f"{FOLDER}/ab/")
    shutil.rmtree(tmp_path / FOLDER)
    again = store_stream(io.BytesIO(b"id,target\n2,0.25\n"), tmp_path, 1_000)
    assert again.relative_path.startswith(f"{FOLDER}/ab/")
    assert (tmp_path / again.relative_path).read_bytes() == b"id,target\n2,0.25\n"
