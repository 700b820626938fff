"""Downloading files safely: ``get_file`` (Keras's), and the pieces every loader shares.

One path for every download in profond (``get_file``, the dataset loaders):

1. the file is looked for in the cache, ``$PROFOND_HOME/<cache_subdir>`` (``~/.profond/datasets``
   by default; ``/tmp/.profond`` when the home folder is read-only);
2. a missing file (or one whose hash does not match) is downloaded to ``<name>.part`` in the same
   folder, its size bounded, its time bounded (an overall deadline, not only a timeout per
   read), its hash checked, and only then renamed into place with ``os.replace`` (atomic: an
   interrupted download never leaves half a file under the real name). With a hash to check it
   against, an interrupted download keeps its ``.part`` and the next attempt resumes it (an HTTP
   ``Range`` request; a server without ranges sends the whole file again);
3. offline, the error names the file, the address to fetch it from by hand and where to put it;
4. archives are extracted into a temporary folder then renamed, refusing members that would land
   outside it (``../x``, absolute paths, links pointing out, device files).
"""

import contextlib
import hashlib
import http.client
import os
import re
import shutil
import stat
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

try:
    import fcntl  # POSIX: lock a partial download against a second process
except ImportError:  # Windows
    fcntl = None

MAX_BYTES = 4 * 2**30
"""Refuse downloads larger than this (4 GiB) unless a caller sets its own limit."""
DEADLINE = 3600.0
"""The longest one download may take (one hour), unless ``$PROFOND_DOWNLOAD_DEADLINE`` says
otherwise (in seconds)."""
_ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip")


def profond_home():
    """``$PROFOND_HOME``, else ``~/.profond`` (``/tmp/.profond`` if the home is read-only)."""
    home = os.environ.get("PROFOND_HOME")
    if home:
        return Path(home)
    home = Path(os.path.expanduser("~")) / ".profond"
    parent = home if home.exists() else home.parent
    return home if os.access(parent, os.W_OK) else Path(tempfile.gettempdir()) / ".profond"


def hash_file(path, algorithm="sha256", chunk_size=2**20):
    """The hex digest of the file at ``path`` (``algorithm``: "sha256" or "md5")."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _algorithm(file_hash, hash_algorithm):
    """The algorithm of ``file_hash``: "auto" means SHA-256 for 64 hex digits, else MD5."""
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            "get_file: expected `hash_algorithm` to be 'auto', 'sha256' or 'md5'. "
            f"Received: hash_algorithm={hash_algorithm!r}"
        )
    if hash_algorithm == "auto":
        return "sha256" if len(file_hash) == 64 else "md5"
    return hash_algorithm


def validate_file(path, file_hash, hash_algorithm="auto"):
    """Whether the file at ``path`` has the hash ``file_hash`` (SHA-256 or MD5)."""
    algorithm = _algorithm(file_hash, hash_algorithm)
    return hash_file(path, algorithm) == str(file_hash).lower()


def offline_message(url, path):
    """The advice shown when a file cannot be downloaded: what to fetch by hand, where to put it."""
    return (
        f"If this machine is offline, download {url} by hand (a browser, or "
        f"`curl -L -o '{Path(path).name}' '{url}'` on a connected machine) and put it at "
        f"{path}; profond reads it from there and checks its integrity."
    )


def download_deadline():
    """The longest a download may take, in seconds: ``$PROFOND_DOWNLOAD_DEADLINE`` if set, else
    ``DEADLINE``."""
    text = os.environ.get("PROFOND_DOWNLOAD_DEADLINE")
    if not text:
        return DEADLINE
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise ValueError("Expected $PROFOND_DOWNLOAD_DEADLINE to be a positive number of "
                         f"seconds. Received: PROFOND_DOWNLOAD_DEADLINE={text!r}")
    return value


class _Busy(OSError):
    """Another process holds the partial file: it is theirs, leave it alone."""


@contextlib.contextmanager
def _partial_file(part):
    """``part`` opened for reading and writing (created if missing, never through a symbolic
    link), locked so that a second process downloading the same file stops with a clear error."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(part, flags, 0o666), "r+b") as out:
        if fcntl is not None:
            try:
                fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise _Busy(f"{part} is being written by another download of the same file: "
                            "let it finish, then try again.") from None
            try:
                same = os.path.samestat(os.fstat(out.fileno()), os.stat(part))
            except FileNotFoundError:
                same = False
            if not same:  # renamed into place by the download that held the lock before us
                raise _Busy(f"{part} was just completed by another download: try again.")
        yield out


def _content_range_start(response):
    """The first byte a 206 answer holds (``Content-Range: bytes 100-199/200`` → 100), and the
    whole file's size (None when the server writes ``*``)."""
    match = re.fullmatch(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*",
                         response.headers.get("Content-Range", ""))
    if match is None:
        return None, None
    return int(match.group(1)), None if match.group(2) == "*" else int(match.group(2))


def _receive(url, out, max_bytes, timeout, end, resume):
    """Write the bytes of ``url`` into the open file ``out``: appended to what it holds (an HTTP
    ``Range`` request) when ``resume`` and the server agrees, from the start otherwise. Returns
    the size it resumed from (0 for a full download)."""
    out.seek(0, os.SEEK_END)
    offset = out.tell() if resume else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    wait = max(end - time.monotonic(), 0.001)  # a read never waits past the deadline
    wait = wait if timeout is None else min(timeout, wait)
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                          timeout=wait)
    except urllib.error.HTTPError as error:
        if error.code != 416 or not offset:
            raise
        # NOTE: "range not satisfiable": the partial file is not a prefix of what the server
        # holds now (the file changed, or the part is complete). Start again from nothing.
        offset = 0
        response = urllib.request.urlopen(url, timeout=wait)
    with response:
        total = None
        if offset and getattr(response, "status", None) == 206:
            start, total = _content_range_start(response)
            if start != offset:
                raise OSError(f"the server answered a request for the bytes from {offset} on "
                              f"with {response.headers.get('Content-Range')!r}")
        else:  # a full answer: the server (or a file:// URL) ignored the Range header
            offset = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        if total is not None and total > max_bytes:
            raise ValueError(f"{url} is {total} B, larger than the limit of {max_bytes} B.")
        out.seek(offset)
        out.truncate()
        read = getattr(response, "read1", response.read)  # read1: at most one network read
        size = offset
        while chunk := read(2**16):
            size += len(chunk)
            if size > max_bytes:
                raise ValueError(f"{url} is larger than the limit of {max_bytes} B.")
            out.write(chunk)
            if time.monotonic() > end:
                raise TimeoutError(f"the download did not finish within its deadline "
                                   f"({size:,} of {total or '?'} bytes received)")
        if total is not None and size != total:
            raise OSError(f"the connection closed after {size:,} of {total:,} bytes")
    out.flush()
    return offset


def download(url, path, check=None, max_bytes=MAX_BYTES, timeout=60, deadline=None,
             resume=False):
    """Download ``url`` to ``path`` atomically; return ``path``.

    The bytes go to ``<path>.part`` next to ``path``; ``check(part)`` (if given) must accept the
    complete file (it raises ``ValueError`` otherwise); only then does ``os.replace`` give it its
    name. A file larger than ``max_bytes`` or refused by ``check`` is removed and a ``ValueError``
    raised; a network failure raises an ``OSError`` saying how to fetch the file by hand.

    Args:
        timeout: the longest wait for the server (to connect, or between two reads), in seconds.
        deadline: the longest the whole download may take, in seconds (``download_deadline()``
            by default: ``$PROFOND_DOWNLOAD_DEADLINE``, else ``DEADLINE``): a server that
            trickles bytes cannot hold the caller forever. Past it, a ``TimeoutError``.
        resume: keep ``<path>.part`` when the download stops half way (a cut connection, the
            deadline, Ctrl-C), and continue it next time with an HTTP ``Range`` request; a server
            that does not support ranges sends the whole file again. Only for a ``check`` that
            verifies the content (a hash): a resumed file joins two downloads, so one that fails
            the check is downloaded once more from the start.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    deadline = download_deadline() if deadline is None else float(deadline)
    if not 0 < deadline < float("inf"):
        raise ValueError("download: expected `deadline` to be a positive number of seconds. "
                         f"Received: deadline={deadline}")
    end = time.monotonic() + deadline
    keep = False  # whether the partial file is worth keeping for the next attempt
    try:
        with _partial_file(part) as out:
            for attempt in range(2):
                try:
                    resumed = _receive(url, out, max_bytes, timeout, end, resume)
                except (OSError, http.client.HTTPException) as error:
                    keep = resume and out.tell() > 0
                    raise _download_error(error, url, path, part if keep else None) from error
                try:
                    if check is not None:
                        check(os.fspath(part))
                except ValueError:
                    if resumed and attempt == 0:  # the older half may be stale: once more, whole
                        out.seek(0)
                        out.truncate()
                        continue
                    raise
                break
            if fcntl is not None:  # renamed while still locked: no other download slips in
                os.replace(part, path)
        if fcntl is None:  # Windows renames no open file
            os.replace(part, path)
    except BaseException as error:
        if not (keep or isinstance(error, _Busy) or resume and
                isinstance(error, KeyboardInterrupt)):
            with contextlib.suppress(OSError):
                os.remove(part)
        raise
    return path


def _download_error(error, url, path, part):
    """The ``OSError`` (a ``TimeoutError`` past the deadline) that says why ``url`` could not be
    downloaded and what to do: resume later, raise the deadline, or fetch the file by hand."""
    reason = error
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        reason = error.reason  # the underlying problem (no route, name not resolved ...)
    message = f"Could not download {path.name} from {url}: {reason}."
    if part is not None:
        message += (f" The bytes received are kept in {part}: the next attempt continues from "
                    "there.")
    if isinstance(error, TimeoutError) and "deadline" in str(error):
        message += " Set $PROFOND_DOWNLOAD_DEADLINE (seconds) to allow more time."
    kind = TimeoutError if isinstance(error, TimeoutError) else OSError
    return kind(message + " " + offline_message(url, path))


# --- archives ------------------------------------------------------------------------------------
def _inside(root, target):
    root, target = os.path.realpath(root), os.path.realpath(target)
    return os.path.commonpath([root, target]) == root


def _check_tar_member(member, root, archive):
    where = os.path.join(root, member.name)
    if os.path.isabs(member.name) or not _inside(root, where):
        raise ValueError(f"{archive}: refused the member {member.name!r}, which would be "
                         "written outside the extraction folder.")
    if member.issym() or member.islnk():
        base = os.path.dirname(where) if member.issym() else root
        if os.path.isabs(member.linkname) or not _inside(root, os.path.join(base,
                                                                            member.linkname)):
            raise ValueError(f"{archive}: refused the link {member.name!r} -> "
                             f"{member.linkname!r}, which points outside the extraction folder.")
    elif not (member.isfile() or member.isdir()):
        raise ValueError(f"{archive}: refused {member.name!r}, a device or special file.")


def _check_zip_member(info, root, archive):
    name = info.filename
    if os.path.isabs(name) or name.startswith(("/", "\\")) or ".." in Path(name).parts or \
            not _inside(root, os.path.join(root, name)):
        raise ValueError(f"{archive}: refused the member {name!r}, which would be written "
                         "outside the extraction folder.")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ValueError(f"{archive}: refused the member {name!r}, a symbolic link.")


def detect_archive_format(path):
    """``"tar"``, ``"zip"`` or None, from the file's content (not its name)."""
    if zipfile.is_zipfile(path):
        return "zip"
    try:
        return "tar" if tarfile.is_tarfile(path) else None
    except OSError:
        return None


def extract_archive(path, destination, archive_format="auto"):
    """Extract the tar (possibly compressed) or zip file ``path`` into the folder
    ``destination`` (replacing it), refusing any member that would land outside it.

    The members go to a temporary folder next to ``destination``, renamed into place at the end:
    a failed extraction leaves nothing behind. Returns ``destination``.
    """
    kind = detect_archive_format(path) if archive_format in ("auto", None) else archive_format
    if kind not in ("tar", "zip"):
        raise ValueError(f"{path} is not a tar or zip archive (archive_format={archive_format!r})")
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=destination.parent, prefix=destination.name + ".", suffix=".part")
    try:
        if kind == "tar":
            with tarfile.open(path) as archive:
                members = archive.getmembers()
                for member in members:
                    _check_tar_member(member, tmp, path)
                archive.extractall(tmp, members=members, filter="data")
        else:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    _check_zip_member(info, tmp, path)
                archive.extractall(tmp)
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(tmp, destination)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    return destination


def _strip_archive_suffix(name):
    for suffix in _ARCHIVE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# --- get_file ------------------------------------------------------------------------------------
def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The local path of the file at the URL ``origin``, downloaded once and then cached.

    The file is ``<cache_dir>/<cache_subdir>/<fname>`` (``cache_dir`` defaults to
    ``$PROFOND_HOME``, else ``~/.profond``; ``fname`` to the last part of ``origin``; an
    absolute ``cache_subdir`` or ``fname`` is used as is). With ``file_hash`` (SHA-256 if it has
    64 hex digits, else MD5, or as ``hash_algorithm`` says), a download must match it, and a
    cached file that does not is downloaded again. ``force_download`` always downloads.

    ``extract=True`` unpacks a tar/zip archive into ``<name>_extracted`` (``name`` without its
    ``.tar.gz``/``.zip``…) and returns that folder; ``untar=True`` (Keras 2's form) unpacks into
    ``<fname>`` itself. ``md5_hash`` is Keras 2's name of ``file_hash``. A URL may be
    ``file://…`` (a local copy). Downloads are atomic and verified (see the module's docstring).

    >>> path = get_file("iris.csv", origin="https://example.com/iris.csv")  # doctest: +SKIP
    """
    if origin is None:
        raise ValueError('get_file: please specify the "origin" argument (the URL of the file '
                         "to download).")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        _algorithm(file_hash, hash_algorithm)  # validate early
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: cannot name the file from the origin {origin!r}. "
                             "Pass `fname`.")
    root = Path(cache_dir).expanduser() if cache_dir is not None else profond_home()
    folder = Path(cache_subdir) if os.path.isabs(cache_subdir) else root / cache_subdir
    fname = os.fspath(fname)
    if untar:
        archive, unpacked = folder / (fname + "_archive"), folder / fname
    else:
        archive = folder / fname
        unpacked = folder / (_strip_archive_suffix(archive.name) + "_extracted")

    fresh = force_download or not archive.is_file()
    if not fresh and file_hash is not None and not validate_file(archive, file_hash,
                                                                 hash_algorithm):
        print(f"The cached file {archive} does not match its hash: downloading it again.")
        fresh = True
    if fresh:
        print(f"Downloading data from {origin}")

        def check(tmp):
            if file_hash is not None and not validate_file(tmp, file_hash, hash_algorithm):
                algorithm = _algorithm(file_hash, hash_algorithm)
                raise ValueError(
                    f"The file downloaded from {origin} failed its integrity check: expected "
                    f"{algorithm} {file_hash}, received {hash_file(tmp, algorithm)} (incomplete "
                    "or corrupted download). It was not kept."
                )

        download(origin, archive, check, resume=file_hash is not None)
    if untar or extract:
        if fresh or not unpacked.is_dir():
            extract_archive(archive, unpacked, archive_format)
        return str(unpacked)
    return str(archive)


__all__ = [
    "download",
    "download_deadline",
    "extract_archive",
    "get_file",
    "hash_file",
    "offline_message",
    "profond_home",
    "validate_file",
]
