"""User-facing settings, in the places TensorFlow and Keras keep them.

- Numbers: ``set_floatx`` / ``floatx``, ``epsilon``, ``image_data_format``.
- Where the math runs: ``set_backend("numpy" | "cupy")``, ``set_num_threads``.
- ``tf.config`` names: ``list_physical_devices`` / ``list_logical_devices`` (honest about the
  backend: the CPU always, GPUs only while the CuPy backend is active), ``set_visible_devices``,
  ``run_functions_eagerly`` / ``functions_run_eagerly``, ``device("/GPU:0")``, and the
  ``threading`` and ``experimental`` namespaces.

Every setting here is process-global, as in TF and Keras: all threads see the latest value (see
``profond.backend``; the random streams, by contrast, are per thread: ``profond.random``).

profond runs every op eagerly, one after the other, on the array library of the backend: there is
no graph compiler and no device placement to configure. The ``tf.config`` calls that only tune
those (``set_memory_growth``, inter-op threads, soft placement) are accepted so that programs run,
and documented here as having nothing to tune.

>>> import profond as tf
>>> tf.config.list_physical_devices("CPU")
[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
"""

import collections
import contextlib
import re
import types
import warnings

from profond import backend as _backend
from profond._names import missing_name
from profond.backend import (  # noqa: F401 - re-exported
    backend,
    floatx,
    get_num_threads,
    set_backend,
    set_floatx,
    set_num_threads,
)

# --- numbers ------------------------------------------------------------------------------------
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def epsilon():
    """The fuzz factor ε = 1e-7 that losses and metrics add to avoid log(0) and division by 0."""
    return _EPSILON


def set_epsilon(value):
    """Keras's ``set_epsilon``: profond's losses use a fixed ε = 1e-7, the only value accepted."""
    if float(value) != _EPSILON:
        raise NotImplementedError(
            "set_epsilon: profond's losses and metrics use the fixed epsilon 1e-7; another value "
            f"is not implemented yet. Received: value={value!r}"
        )


def image_data_format():
    """``"channels_last"``: images are (batch, height, width, channels), as in Keras."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Only ``"channels_last"`` is a global setting in profond; ``channels_first`` is accepted per
    layer (``Conv2D(..., data_format="channels_first")``)."""
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format!r}")
    if data_format != _IMAGE_DATA_FORMAT:
        raise NotImplementedError(
            "set_image_data_format: profond's global image format is 'channels_last'; pass "
            "data_format='channels_first' to each layer instead. "
            f"Received: data_format={data_format!r}"
        )


def keras_backend():
    """What ``keras.config.backend()`` answers: ``"profond"``. Real Keras names its engine there
    (``"tensorflow"``, ``"jax"``, ``"torch"``, ``"numpy"``); profond is none of them, and says so.
    (``backend()`` here names the array library instead: ``"numpy"`` or ``"cupy"``.)"""
    return "profond"


# --- tf.function ------------------------------------------------------------------------------
_RUN_EAGERLY = [False]


def run_functions_eagerly(run_eagerly):
    """``tf.config.run_functions_eagerly``: profond always runs ``profond.function`` eagerly, so
    the flag changes nothing; it is kept (and read back by ``functions_run_eagerly``) so that code
    toggling it for debugging runs unchanged."""
    _RUN_EAGERLY[0] = bool(run_eagerly)


def functions_run_eagerly():
    """The flag last given to ``run_functions_eagerly`` (``False`` by default, as in TF)."""
    return _RUN_EAGERLY[0]


experimental_run_functions_eagerly = run_functions_eagerly
experimental_functions_run_eagerly = functions_run_eagerly


# --- devices ------------------------------------------------------------------------------------
PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])
_DEVICE_TYPES = ("CPU", "GPU")
_hidden = set()  # names of the physical devices hidden by set_visible_devices


def _gpu_count():
    """GPUs profond computes on: those of CuPy, and only while the CuPy backend is active."""
    if _backend.backend() != "cupy":
        return 0
    import cupy

    return int(cupy.cuda.runtime.getDeviceCount())


def _check_type(device_type, where):
    if device_type is not None and str(device_type).upper() not in _DEVICE_TYPES + ("TPU",):
        raise ValueError(f"{where}: expected device_type 'CPU' or 'GPU'. "
                         f"Received: device_type={device_type!r}")


def list_physical_devices(device_type=None):
    """The devices profond can compute on: ``CPU:0``, plus one ``GPU:i`` per CUDA device while
    the CuPy backend is active (``profond.config.set_backend("cupy")``)."""
    _check_type(device_type, "list_physical_devices")
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    devices += [PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(_gpu_count())]
    wanted = None if device_type is None else str(device_type).upper()
    return [d for d in devices if wanted in (None, d.device_type)]


def list_logical_devices(device_type=None):
    """The visible devices, named as ``tf.device`` names them (``/device:CPU:0``)."""
    _check_type(device_type, "list_logical_devices")
    return [LogicalDevice(d.name.replace("/physical_device:", "/device:"), d.device_type)
            for d in get_visible_devices(device_type)]


def get_visible_devices(device_type=None):
    """The physical devices not hidden by ``set_visible_devices``."""
    return [d for d in list_physical_devices(device_type) if d.name not in _hidden]


def set_visible_devices(devices, device_type=None):
    """Choose the devices listed as visible. The CPU cannot be hidden; hiding every GPU
    (``set_visible_devices([], "GPU")``) moves new tensors back to NumPy (the CPU backend).
    NOTE: with GPUs visible, CuPy still computes on its current device (``cupy.cuda.Device``)."""
    _check_type(device_type, "set_visible_devices")
    devices = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    known = list_physical_devices()
    for d in devices:
        if d not in known:
            raise ValueError(f"set_visible_devices: unknown device. Expected one of {known}. "
                             f"Received: {d!r}")
    for kind in [str(device_type).upper()] if device_type else _DEVICE_TYPES:
        keep = {d.name for d in devices if d.device_type == kind}
        if kind == "CPU" and not keep:
            raise ValueError("set_visible_devices: profond always computes on the CPU; it "
                             f"cannot be hidden. Received: devices={devices!r}")
        for d in list_physical_devices(kind):
            if d.name in keep:
                _hidden.discard(d.name)
            else:
                _hidden.add(d.name)
    if _backend.backend() == "cupy" and not get_visible_devices("GPU"):
        _backend.set_backend("numpy")  # every GPU hidden: compute on the CPU


_soft_placement = [True]


def set_soft_device_placement(enabled):
    """Accepted: profond places every op on the backend's device (placement is always soft)."""
    _soft_placement[0] = bool(enabled)


def get_soft_device_placement():
    return _soft_placement[0]


_DEVICE_RE = re.compile(
    r"^(/job:\w+)?(/replica:\d+)?(/task:\d+)?(/device)?(/|:)?(?P<type>[A-Za-z]+)(:(?P<index>\d+|\*))?$"
)


def _parse_device(name):
    """``"/GPU:0"``, ``"gpu"``, ``"/job:localhost/replica:0/task:0/device:CPU:0"`` → ("GPU", 0)."""
    match = _DEVICE_RE.match(str(name).strip()) if name else None
    kind = match and match.group("type").upper()
    if kind not in _DEVICE_TYPES:
        raise ValueError(f"Unknown device name. Expected a name such as '/CPU:0' or '/GPU:0'. "
                         f"Received: device_name={name!r}")
    index = match.group("index")
    return kind, 0 if index in (None, "*") else int(index)


@contextlib.contextmanager
def device(device_name):
    """``with tf.device("/GPU:0"):`` — the ops inside run on the current backend, as TF's soft
    placement does when the named device is missing: profond has one device at a time (NumPy on
    the CPU, or CuPy on the GPU after ``set_backend("cupy")``). The name is checked.

    >>> import profond as tf
    >>> with tf.device("/CPU:0"):
    ...     y = tf.constant([1.0]) * 2.0
    """
    if device_name:  # None or "" place nothing, as in TF
        _parse_device(device_name)
    yield


# --- threads ----------------------------------------------------------------------------------
_threads = {"inter": 0, "intra": 0}


def set_intra_op_parallelism_threads(num_threads):
    """Threads inside one op: the BLAS threads (``set_num_threads``); 0 keeps the default."""
    if int(num_threads) < 0:
        raise ValueError(f"Expected num_threads >= 0. Received: num_threads={num_threads!r}")
    if int(num_threads) > 0:
        try:
            set_num_threads(int(num_threads))
        except ImportError as e:  # a tuning hint must not stop a program: say it was not applied
            warnings.warn(f"set_intra_op_parallelism_threads had no effect: {e}", stacklevel=2)
    _threads["intra"] = int(num_threads)


def get_intra_op_parallelism_threads():
    return _threads["intra"]


def set_inter_op_parallelism_threads(num_threads):
    """Accepted and recorded: profond runs one op at a time, so there is no inter-op pool."""
    if int(num_threads) < 0:
        raise ValueError(f"Expected num_threads >= 0. Received: num_threads={num_threads!r}")
    _threads["inter"] = int(num_threads)


def get_inter_op_parallelism_threads():
    return _threads["inter"]


threading = types.SimpleNamespace(
    set_intra_op_parallelism_threads=set_intra_op_parallelism_threads,
    get_intra_op_parallelism_threads=get_intra_op_parallelism_threads,
    set_inter_op_parallelism_threads=set_inter_op_parallelism_threads,
    get_inter_op_parallelism_threads=get_inter_op_parallelism_threads,
)
"""``tf.config.threading``."""

# --- tf.config.experimental ------------------------------------------------------------------
_memory_growth = {}


def set_memory_growth(device, enable):
    """Accepted: CuPy's memory pool already grows on demand, and NumPy has no device memory."""
    if not isinstance(device, PhysicalDevice):
        raise ValueError(f"set_memory_growth expects a PhysicalDevice from "
                         f"list_physical_devices(). Received: device={device!r}")
    _memory_growth[device.name] = bool(enable)


def get_memory_growth(device):
    return _memory_growth.get(getattr(device, "name", device), False)


def enable_op_determinism():
    """Accepted: profond's ops are deterministic already; seed them with ``profond.set_seed``."""


experimental = types.SimpleNamespace(
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    get_visible_devices=get_visible_devices,
    set_visible_devices=set_visible_devices,
    set_memory_growth=set_memory_growth,
    get_memory_growth=get_memory_growth,
    enable_op_determinism=enable_op_determinism,
)
"""``tf.config.experimental``: the device calls tutorials use before building a model."""


def __getattr__(name):
    raise missing_name(__name__, name)
