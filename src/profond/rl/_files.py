"""Agent files: one zip, safe to load from anyone (no pickle, no import by name).

Members:

- ``metadata.json``: ``{"format": "profond-agent", "format_version": 1, versions, date}``;
- ``agent.json``: ``{"class_name", "config", "state", "observation_space", "action_space",
  "networks"}``: the class (looked up among the registered agents, ``base.register_agent``), the
  constructor's arguments, the counters and history, the spaces, each network's architecture
  (its Keras config, for information: the agent rebuilds its networks from ``config``);
- ``arrays.safetensors``: every array: ``network/<name>/0000:<path>`` (weights),
  ``optimizer/<name>/0000:<path>`` (optimizer state), ``space/<which>/low|high`` (a ``Box``'s
  bounds), ``agent/<key>`` (the agent's own arrays: a Q-table, the replay buffer when saved).

Loading checks everything before the agent is touched: a regular file, a zip whose members are
exactly the known ones, sizes within ``profond.saving.set_limits``, strict JSON, a known class,
constructor arguments the class takes, arrays whose count, shapes and dtypes match the rebuilt
agent. A problem is a ``FileFormatError`` naming it.
"""

import datetime
import inspect
import json
import math
import os
import zipfile
import zlib

import numpy
from gymnasium import spaces

from profond._text import quote
from profond.saving import limits
from profond.saving.checkpoint import check_optimizer_state
from profond.saving.limits import FileFormatError, MiB, limit
from profond.saving.model_file import _atomic_write, _safetensors, assign_variables

FORMAT = "profond-agent"
FORMAT_VERSION = 1
AGENT = "agent.json"
METADATA = "metadata.json"
ARRAYS = "arrays.safetensors"
MEMBERS = {AGENT: 64 * MiB, METADATA: 1 * MiB, ARRAYS: None}  # None: the max_bytes limit


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------
def save_agent(agent, path, include_buffer=False):
    """Write ``agent`` to ``path`` (atomically: a temporary file, then ``os.replace``)."""
    arrays = {}
    networks = {}
    for name, model in agent._networks().items():
        networks[name] = _network_config(model)
        for i, v in enumerate(model.weights):
            arrays[f"network/{name}/{i:04d}:{_path(v)}"] = _host(v)
    for name, optimizer in agent._optimizers().items():
        for i, v in enumerate(optimizer.variables if optimizer.built else []):
            arrays[f"optimizer/{name}/{i:04d}:{_path(v)}"] = _host(v)
    for which in ("observation", "action"):
        space = getattr(agent, f"{which}_space")
        if isinstance(space, spaces.Box):
            arrays[f"space/{which}/low"] = numpy.ascontiguousarray(space.low)
            arrays[f"space/{which}/high"] = numpy.ascontiguousarray(space.high)
    for key, value in agent._get_arrays(include_buffer).items():
        arrays[f"agent/{key}"] = numpy.ascontiguousarray(value)
    document = {
        "class_name": type(agent).__name__,
        "config": agent._get_config(),
        "state": _finite_or_none(agent._get_state()),
        "observation_space": _space_spec(agent.observation_space),
        "action_space": _space_spec(agent.action_space),
        "networks": networks,
    }
    members = {
        METADATA: _json_bytes(_metadata()),
        AGENT: _json_bytes(document),
        ARRAYS: _safetensors().numpy.save(arrays) if arrays else _empty_safetensors(),
    }

    def write(f):
        with zipfile.ZipFile(f, "w") as zf:
            for name, data in members.items():
                method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
                zf.writestr(name, data, compress_type=method)

    _atomic_write(zip_path(path), write)


def zip_path(path):
    """``path``, with ``.zip`` added when it has no suffix (as SB3: ``agent.save("dqn")``
    writes ``dqn.zip``; ``DQN.load("dqn")`` reads it when there is no file ``dqn``)."""
    path = os.fspath(path)
    return path + ".zip" if not os.path.splitext(path)[1] else path


def _metadata():
    import gymnasium

    import profond

    return {"format": FORMAT, "format_version": FORMAT_VERSION,
            "profond_version": profond.__version__, "numpy_version": numpy.__version__,
            "gymnasium_version": gymnasium.__version__,
            "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds")}


def _network_config(model):
    """The network's Keras config, for a reader of the file (None when it has no JSON one)."""
    try:
        config = model.get_config()
        _json_bytes(config)
    except (NotImplementedError, TypeError, ValueError, AttributeError):
        config = None
    return {"class_name": type(model).__name__, "config": config}


def _path(variable):
    return getattr(variable, "path", None) or getattr(variable, "name", None) or "variable"


def _host(variable):
    array = variable.numpy() if hasattr(variable, "numpy") else numpy.asarray(variable)
    return numpy.ascontiguousarray(array) if array.ndim else array.copy()


def _space_spec(space):
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {"type": "Box", "shape": list(space.shape), "dtype": str(space.dtype)}
    raise ValueError(f"Only Discrete and Box spaces can be saved. Received: {space}")


def _finite_or_none(value):
    """JSON has no NaN (and profond's reader refuses it): a non-finite float is written null."""
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_bytes(value):
    return json.dumps(value, allow_nan=False, default=_json_default).encode("utf-8")


def _json_default(value):
    if isinstance(value, numpy.integer):
        return int(value)
    if isinstance(value, numpy.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    raise TypeError(f"Cannot save {type(value).__name__} in an agent file: {value!r:.80}")


def _empty_safetensors():
    header = b"{}      "  # 8 bytes, padded with spaces as the format allows
    return len(header).to_bytes(8, "little") + header


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def load_agent(path, env=None, expected=None):
    """The agent stored in ``path`` (see the module docstring for the checks)."""
    from profond.rl.base import Agent, get_agent_class, loading_spaces

    expected = expected or Agent
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(zip_path(path)):
        path = zip_path(path)
    metadata, document, arrays = _read(path)
    _check_metadata(metadata, path)
    for key in ("class_name", "config", "state", "observation_space", "action_space"):
        if key not in document:
            raise FileFormatError(f"{path}: {AGENT} has no {quote(key)}.")
    class_name = document["class_name"]
    try:
        cls = get_agent_class(class_name) if isinstance(class_name, str) else None
    except KeyError:
        cls = None
    if cls is None:
        raise FileFormatError(f"{path}: unknown agent class {quote(class_name)}. Expected one "
                              "of the registered agents (profond.rl.base.register_agent).")
    if not issubclass(cls, expected):
        raise ValueError(f"`{expected.__name__}.load`: Expected a file holding a "
                         f"{expected.__name__}. Received: a {cls.__name__} ({path}). Use "
                         f"{cls.__name__}.load or Agent.load.")
    stray = [k for k in arrays if not k.startswith(("network/", "optimizer/", "space/",
                                                    "agent/"))]
    if stray:
        raise FileFormatError(f"{path}: unexpected array {quote(stray[0])} in {ARRAYS}.")
    config = _check_config(cls, document["config"], path)
    observation_space = _space_from_spec(document["observation_space"], "observation", arrays,
                                         path)
    action_space = _space_from_spec(document["action_space"], "action", arrays, path)
    if env is not None:
        from profond.rl._checks import make_env

        env = make_env(env, f"{cls.__name__}.load")
        for which, space in (("observation", observation_space), ("action", action_space)):
            if getattr(env, f"{which}_space") != space:
                raise ValueError(f"`{cls.__name__}.load`: Expected `env.{which}_space` to be "
                                 f"the saved {space}. Received: {getattr(env, f'{which}_space')}")
    try:
        with loading_spaces(observation_space, action_space):
            agent = cls(env=env, **config)
    except (TypeError, ValueError) as e:
        raise FileFormatError(f"{path}: the saved arguments of {cls.__name__} are invalid: "
                              f"{e}") from None
    _restore_networks(agent, arrays, path)
    own = {k[len("agent/"):]: v for k, v in arrays.items() if k.startswith("agent/")}
    state = document["state"]
    if not isinstance(state, dict):
        raise FileFormatError(f"{path}: Expected the agent's state to be a JSON object.")
    check_state(state, path)
    try:
        agent._set_arrays(own)
        agent._set_state(state)
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, FileFormatError):
            raise
        raise FileFormatError(f"{path}: the agent's saved state is invalid: "
                              f"{type(e).__name__}: {e}") from None
    return agent


def _check_config(cls, config, path):
    if not isinstance(config, dict):
        raise FileFormatError(f"{path}: Expected the agent's config to be a JSON object.")
    parameters = inspect.signature(cls.__init__).parameters
    accepted = {n for n, p in parameters.items()
                if n not in ("self", "env") and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                           p.KEYWORD_ONLY)}
    unknown = sorted(set(config) - accepted)
    if unknown:
        raise FileFormatError(f"{path}: {cls.__name__} takes no argument(s) "
                              f"{quote(unknown)} (found in {AGENT}).")
    return config


def check_state(state, path):
    """The base counters of ``Agent._get_state``: integers >= 0, a history of numbers."""
    for key in ("num_timesteps", "episode_num", "total_timesteps"):
        value = state.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise FileFormatError(f"{path}: Expected {quote(key)} to be an integer >= 0. "
                                  f"Received: {quote(value)}")
    history = state.get("history")
    if not isinstance(history, dict) or not all(
            isinstance(v, list) and all(_is_number(x) for x in v) for v in history.values()):
        raise FileFormatError(f"{path}: Expected the history to map names to lists of numbers.")
    for key in ("episode_return", "episode_length", "timesteps"):
        history.setdefault(key, [])
    for key, values in history.items():
        history[key] = [math.nan if x is None else x for x in values]


def _is_number(x):
    return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))


def _space_from_spec(spec, which, arrays, path):
    bad = FileFormatError(f"{path}: the saved {which} space is invalid: {quote(spec)}")
    if not isinstance(spec, dict):
        raise bad
    if spec.get("type") == "Discrete":
        n, start = spec.get("n"), spec.get("start", 0)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, start)) or n < 1:
            raise bad
        return spaces.Discrete(n, start=start)
    if spec.get("type") == "Box":
        shape, dtype = spec.get("shape"), spec.get("dtype")
        low, high = arrays.get(f"space/{which}/low"), arrays.get(f"space/{which}/high")
        if (not isinstance(shape, list) or dtype not in ("float32", "float64", "int64", "int32",
                                                        "uint8", "float16", "int8")
                or low is None or high is None or list(low.shape) != shape
                or list(high.shape) != shape or low.dtype != numpy.dtype(dtype)
                or high.dtype != numpy.dtype(dtype)):
            raise bad
        try:
            return spaces.Box(low=low, high=high, shape=tuple(shape), dtype=dtype)
        except (ValueError, TypeError, AssertionError) as e:
            raise FileFormatError(f"{path}: the saved {which} space is invalid: {e}") from None
    raise bad


def _restore_networks(agent, arrays, path):
    networks = agent._networks()
    optimizers = agent._optimizers()
    known = {f"network/{n}/" for n in networks} | {f"optimizer/{n}/" for n in optimizers}
    for key in arrays:
        if key.startswith(("network/", "optimizer/")) and not any(key.startswith(p)
                                                                  for p in known):
            raise FileFormatError(f"{path}: the array {quote(key)} belongs to no network or "
                                  f"optimizer of {type(agent).__name__}.")
    checks = []  # check everything, then write: a bad file leaves the agent as it was
    for name, model in networks.items():
        tensors = _prefixed(arrays, f"network/{name}/")
        assign_variables(model.weights, tensors, f"weights of {name}", check_only=True)
        checks.append((model.weights, tensors, f"weights of {name}"))
    for name, optimizer in optimizers.items():
        tensors = _prefixed(arrays, f"optimizer/{name}/")
        if not tensors:
            continue
        if not optimizer.built:
            optimizer.build(networks[name].trainable_variables)
        assign_variables(optimizer.variables, tensors, f"optimizer variables of {name}",
                         check_only=True)
        check_optimizer_state(optimizer, tensors)
        checks.append((optimizer.variables, tensors, f"optimizer variables of {name}"))
    for variables, tensors, what in checks:
        assign_variables(variables, tensors, what)


def _prefixed(arrays, prefix):
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _check_metadata(metadata, path):
    version = metadata.get("format_version")
    if metadata.get("format") != FORMAT or not isinstance(version, int) or version < 1:
        raise FileFormatError(f"{path} is not a profond agent file: metadata.json says "
                              f"format={quote(metadata.get('format'))}, "
                              f"format_version={quote(version)}.")
    if version > FORMAT_VERSION:
        raise FileFormatError(f"{path} uses agent format version {version}; this profond "
                              f"reads up to {FORMAT_VERSION}: upgrade profond to load it.")


def _read(path):
    """``(metadata, agent document, arrays)`` of an agent zip, bounded and validated."""
    f, size = limits.open_regular(path, "profond agent file")
    try:
        with f, zipfile.ZipFile(f) as zf:
            infos = {info.filename: info for info in zf.infolist()}
            _check_directory(path, zf.infolist(), size)
            metadata = _json_member(zf, infos[METADATA])
            document = _json_member(zf, infos[AGENT])
            info = infos[ARRAYS]
            with zf.open(info) as member:
                arrays = limits.read_safetensors(member, info.file_size, ARRAYS)
                if member.read(1):
                    raise FileFormatError(f"{path}: {ARRAYS} holds more bytes than announced.")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
            NotImplementedError) as e:
        raise FileFormatError(f"{path} is not a valid profond agent file (not a zip, or "
                              f"damaged/truncated): {e}") from None
    return metadata, document, arrays


def _json_member(zf, info):
    with zf.open(info) as member:
        data = limits.read_exact(member, info.file_size, info.filename)
        if member.read(1):
            raise FileFormatError(f"Member {info.filename} holds more bytes than announced.")
    value = limits.loads_json(data, info.filename)
    if not isinstance(value, dict):
        raise FileFormatError(f"Expected {info.filename} to hold a JSON object. Received: "
                              f"{type(value).__name__}")
    return value


def _check_directory(path, infos, archive_size):
    names = [info.filename for info in infos]
    if sorted(names) != sorted(MEMBERS):
        raise FileFormatError(f"{path} is not a profond agent file: it holds members "
                              f"{quote(names[:5])}. Expected exactly {sorted(MEMBERS)}.")
    ratio = limit("max_compression_ratio")
    for info in infos:
        if info.flag_bits & 0x1:
            raise FileFormatError(f"{path}: member {info.filename} is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileFormatError(f"{path}: member {info.filename} uses an unsupported "
                                  "compression method.")
        most = MEMBERS[info.filename] or limit("max_bytes")
        if info.file_size > most:
            raise FileFormatError(f"{path}: member {info.filename} is {info.file_size} bytes, "
                                  f"more than the {most} allowed (see "
                                  "profond.saving.set_limits).")
        if info.header_offset + info.compress_size > archive_size:
            raise FileFormatError(f"{path} is damaged/truncated: member {info.filename} "
                                  f"announces {info.compress_size} bytes, more than the file "
                                  "holds.")
        stored = info.compress_type == zipfile.ZIP_STORED
        if (stored and info.file_size != info.compress_size) or (
                info.file_size > MiB and info.file_size > ratio * info.compress_size):
            raise FileFormatError(f"{path}: member {info.filename} would expand "
                                  f"{info.compress_size} bytes into {info.file_size}: refused.")
