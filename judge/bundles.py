"""A team's program as the sandbox gets it (issue 16): a ``.py`` file, a ``.zip`` holding
``main.py``, or a notebook (``.ipynb``, run as a script), unpacked into a run's ``/code``.

Everything here reads what a participant sent, so it is capped before it is parsed (the
archive's entries, their sizes, the notebook's JSON) and refuses rather than repairs: a path
that climbs out (``../``, absolute), a link, a device, too many files or too many bytes.
"""

from __future__ import annotations

import io
import json
import stat
import struct
import warnings
import zipfile
from pathlib import Path, PurePosixPath

from core.errors import ParticipantVisibleError

ENTRY = "main.py"
KINDS = (".py", ".zip", ".ipynb")
MAX_FILES = 2000
MAX_UNPACKED_BYTES = 200 * 1024**2


def kind_of(filename: str) -> str | None:
    """The program's kind by its name (``.py``, ``.zip`` or ``.ipynb``), or None."""
    suffix = PurePosixPath(filename.lower()).suffix
    return suffix if suffix in KINDS else None


def check_program(data: bytes, filename: str, max_bytes: int = MAX_UNPACKED_BYTES) -> None:
    """Refuse at upload what could never run: another kind of file, a .py that is not UTF-8, a
    notebook that is not JSON, a .zip whose table of contents breaks a rule of ``unpack``."""
    kind = kind_of(filename)
    if kind == ".py":
        _python_source(data)
    elif kind == ".ipynb":
        _notebook_json(data)
    elif kind == ".zip":
        _contents(data, max_bytes)
    else:
        raise ParticipantVisibleError(
            "Send the program as a .py file, a .zip with main.py, or a notebook (.ipynb)."
        )


def _notebook_json(data: bytes) -> None:
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ParticipantVisibleError("The notebook could not be read (.ipynb JSON).") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ParticipantVisibleError("The notebook could not be read (.ipynb JSON).")


def unpack(data: bytes, filename: str, code: Path, max_bytes: int = MAX_UNPACKED_BYTES) -> None:
    """Write the program in ``data`` into the folder ``code``, ``main.py`` at its top."""
    kind = kind_of(filename)
    if kind == ".py":
        _python_source(data)
        (code / ENTRY).write_bytes(data)
    elif kind == ".ipynb":
        (code / ENTRY).write_text(notebook_script(data), encoding="utf-8")
    elif kind == ".zip":
        _unzip(data, code, max_bytes)
    else:
        raise ParticipantVisibleError(
            "Send the program as a .py file, a .zip with main.py, or a notebook (.ipynb)."
        )


def _python_source(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParticipantVisibleError("The program is not UTF-8 text.") from None


def notebook_script(data: bytes) -> str:
    """A notebook's code cells as one script (nbconvert's Python exporter; IPython magics
    become comments, as they would not run outside IPython)."""
    import nbformat
    from nbconvert import PythonExporter

    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise ParticipantVisibleError("The notebook could not be read (.ipynb JSON).") from None
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            cell["source"] = "\n".join(
                f"# {line}" if line.lstrip().startswith(("%", "!")) else line
                for line in str(cell.get("source", "")).splitlines()
            )
    with warnings.catch_warnings():
        # It would want IPython to turn magics into Python; they are comments by now.
        warnings.filterwarnings("ignore", "IPython is needed", UserWarning)
        script, _resources = PythonExporter().from_notebook_node(notebook)
    return script


def _unzip(data: bytes, code: Path, max_bytes: int) -> None:
    archive, files, prefix = _contents(data, max_bytes)
    try:
        _extract(archive, files, prefix, code, max_bytes)
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile, EOFError, OSError):
        # Encrypted, an unknown compression, a damaged entry: nothing to run.
        raise ParticipantVisibleError("The .zip file could not be read.") from None


END_RECORD = b"PK\x05\x06"  # the zip's end of central directory: its entry count at +10
END_RECORD_MAX = 22 + 65535  # the record and the longest comment after it
ENTRY_HEADER = b"PK\x01\x02"  # each entry's header in the table of contents


def _declared_entries(data: bytes) -> int | None:
    """How many entries the archive holds, as far as can be told before its table of contents
    is listed (listing a crafted .zip of 300,000 empty entries takes seconds); None: no end
    record. The larger of the end record's count (0xFFFF for a Zip64 archive) and the entry
    headers in the table of contents that ends where the record begins: ``zipfile`` reads the
    table to its declared size whatever the count says, so a forged count proves nothing."""
    start = max(0, len(data) - END_RECORD_MAX)
    at = data.rfind(END_RECORD, start)
    if at < 0 or len(data) - at < 22:
        return None
    count, table_size = struct.unpack_from("<HI", data, at + 10)
    headers = data.count(ENTRY_HEADER, max(0, at - table_size), at)
    return max(int(count), headers)


def _contents(data: bytes, max_bytes: int) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo], str]:
    """The archive, its files and the folder they share, once its table of contents passes."""
    declared = _declared_entries(data)
    if declared is not None and declared > MAX_FILES:
        raise ParticipantVisibleError(
            "The .zip holds more than %(limit)s files.", limit=f"{MAX_FILES:,}"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ParticipantVisibleError("The .zip file could not be read.") from None
    if len(entries) > MAX_FILES:
        raise ParticipantVisibleError(
            "The .zip holds more than %(limit)s files.", limit=f"{MAX_FILES:,}"
        )
    files = [entry for entry in entries if not entry.is_dir()]
    for entry in entries:
        _check_entry(entry)
    if sum(entry.file_size for entry in files) > max_bytes:
        raise ParticipantVisibleError(
            "The .zip unpacks to more than %(mb)s MB.", mb=f"{max_bytes / 1e6:g}"
        )
    prefix = _top_folder(files)
    if prefix + ENTRY not in {entry.filename for entry in files}:
        raise ParticipantVisibleError("The .zip has no main.py at its top.")
    return archive, files, prefix


def _extract(
    archive: zipfile.ZipFile, files: list[zipfile.ZipInfo], prefix: str, code: Path, limit: int
) -> None:
    written = 0
    for entry in files:
        target = code / entry.filename[len(prefix) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(entry) as source, target.open("wb") as sink:
            # The sizes in the archive's directory are the sender's word: count what comes out.
            while chunk := source.read(1024 * 1024):
                written += len(chunk)
                if written > limit:
                    raise ParticipantVisibleError(
                        "The .zip unpacks to more than %(mb)s MB.", mb=f"{limit / 1e6:g}"
                    )
                sink.write(chunk)


def _check_entry(entry: zipfile.ZipInfo) -> None:
    path = PurePosixPath(entry.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or ":" in entry.filename:
        raise ParticipantVisibleError(
            "The .zip has a path outside its own folder: %(path)s", path=entry.filename
        )
    mode = entry.external_attr >> 16
    # No file type at all (permissions only, as Python's own ``writestr`` writes them, or
    # none, as Windows tools do) is a plain file; a type other than file or folder is not.
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ParticipantVisibleError(
            "The .zip has a link or special file: %(path)s", path=entry.filename
        )


def _top_folder(files: list[zipfile.ZipInfo]) -> str:
    """``folder/`` when every file sits in one folder (a zipped project folder), else ``""``."""
    tops = {PurePosixPath(entry.filename).parts[0] for entry in files}
    if len(tops) == 1 and all(len(PurePosixPath(e.filename).parts) > 1 for e in files):
        return f"{tops.pop()}/"
    return ""
