"""Downloading files safely: ``get_file`` (Keras's), and the pieces every loader shares.

One path for every download in profond (``get_file``, the dataset loaders):

1. the file is looked for in the cache, ``$PROFOND_HOME/<cache_subdir>`` (``~/.profond/datasets``
   by default; ``/tmp/.profond`` when the home folder is read-only);
2. a missing file (or one whose hash does not match) is downloaded to a temporary file in the same
   folder, its size bounded, its hash checked, and only then renamed into place with
   ``os.replace`` (atomic: an interrupted download never leaves half a file under the real name);
3. offline, the error names the file, the address to fetch it from by hand and where to put it;
4. archives are extracted into a temporary folder then renamed, refusing members that would land
   outside it (``../x``, absolute paths, links pointing out, device files).
"""

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

MAX_BYTES = 4 * 2**30
"""Refuse downloads larger than this (4 GiB) unless a caller sets its own limit."""
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


def download(url, path, check=None, max_bytes=MAX_BYTES, timeout=60):
    """Download ``url`` to ``path`` atomically; return ``path``.

    The bytes go to a temporary file in ``path``'s folder; ``check(tmp_path)`` (if given) must
    accept it (it raises ``ValueError`` otherwise); then ``os.replace`` moves it onto ``path``. A
    file larger than ``max_bytes`` or refused by ``check`` is removed and a ``ValueError`` raised;
    a network failure raises an ``OSError`` saying how to fetch the file by hand.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    received = 0
                    while chunk := response.read(2**20):
                        received += len(chunk)
                        if received > max_bytes:
                            raise ValueError(f"{url} is larger than the limit of {max_bytes} B.")
                        out.write(chunk)
            except OSError as error:  # URLError, HTTPError, timeouts, a missing file:// path
                raise OSError(
                    f"Could not download {path.name} from {url}: {error}. "
                    + offline_message(url, path)
                ) from error
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


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

        download(origin, archive, check)
    if untar or extract:
        if fresh or not unpacked.is_dir():
            extract_archive(archive, unpacked, archive_format)
        return str(unpacked)
    return str(archive)


__all__ = [
    "download",
    "extract_archive",
    "get_file",
    "hash_file",
    "offline_message",
    "profond_home",
    "validate_file",
]
