"""Agent files: save/load round trips (weights, optimizer, counters, replay buffer), resuming a
run, and files that are damaged or hostile."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
import safetensors.numpy
from gymnasium import spaces

from profond.rl.base import Agent, register_agent
from profond.rl.dqn import DQN
from profond.saving import FileFormatError


@pytest.fixture
def trained(make_dqn, envs):
    return make_dqn(envs.Corridor(), learning_starts=20).learn(150)


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _edit_json(path, out, edit):
    members = _members(path)
    document = json.loads(members["agent.json"])
    edit(document)
    members["agent.json"] = json.dumps(document).encode()
    _write(out, members)


def _edit_arrays(path, out, edit):
    members = _members(path)
    arrays = safetensors.numpy.load(members["arrays.safetensors"])
    edit(arrays)
    members["arrays.safetensors"] = safetensors.numpy.save(arrays)
    _write(out, members)


# --- round trips -----------------------------------------------------------------------------
def test_round_trip_keeps_everything(trained, tmp_path, envs):
    path = tmp_path / "dqn.zip"
    trained.save(path)
    loaded = DQN.load(path, env=envs.Corridor())
    assert type(loaded) is DQN
    assert loaded._get_config() == trained._get_config()
    obs = np.arange(6)
    np.testing.assert_array_equal(loaded.predict(obs, deterministic=True)[0],
                                  trained.predict(obs, deterministic=True)[0])
    for name in ("q_net", "q_net_target"):
        for a, b in zip(getattr(trained, name).weights, getattr(loaded, name).weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert len(trained.optimizer.variables) == len(loaded.optimizer.variables) > 2
    for a, b in zip(trained.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(loaded.optimizer.iterations) == trained.n_updates > 0
    assert loaded.num_timesteps == 150 and loaded.n_updates == trained.n_updates
    assert loaded.history == trained.history
    assert loaded.exploration_rate == trained.exploration_rate
    assert len(loaded.replay_buffer) == 0  # not asked for
    assert loaded.rng.bit_generator.state == trained.rng.bit_generator.state


def test_agent_load_returns_the_saved_class(trained, tmp_path):
    trained.save(tmp_path / "a.zip")
    agent = Agent.load(tmp_path / "a.zip")
    assert isinstance(agent, DQN) and agent.env is None
    assert agent.observation_space == spaces.Discrete(6)
    with pytest.raises(ValueError, match="the agent has no environment"):
        agent.learn(10)


def test_a_name_without_suffix_gets_zip(trained, tmp_path):
    trained.save(tmp_path / "dqn_corridor")
    assert os.listdir(tmp_path) == ["dqn_corridor.zip"]
    assert DQN.load(tmp_path / "dqn_corridor").num_timesteps == trained.num_timesteps


def test_box_spaces_round_trip(make_dqn, envs, tmp_path):
    agent = make_dqn(envs.BoxCorridor()).learn(60)
    agent.save(tmp_path / "box.zip")
    loaded = Agent.load(tmp_path / "box.zip")
    assert loaded.observation_space == agent.observation_space
    x = np.random.default_rng(0).random((4, 2)).astype(np.float32)
    np.testing.assert_array_equal(loaded.q_net.values(x), agent.q_net.values(x))


def test_resume_with_the_same_replay_buffer(make_dqn, envs, tmp_path):
    agent = make_dqn(envs.Corridor(), buffer_size=500, learning_starts=20).learn(300)
    agent.save(tmp_path / "run.zip", include_buffer=True)
    resumed = DQN.load(tmp_path / "run.zip", env=envs.Corridor())
    before, after = agent.replay_buffer, resumed.replay_buffer
    assert (after.pos, after.full, len(after)) == (before.pos, before.full, 300)
    for name in ("observations", "next_observations", "actions", "rewards", "dones"):
        np.testing.assert_array_equal(getattr(after, name), getattr(before, name))
    resumed.learn(250, reset_num_timesteps=False)
    assert resumed.num_timesteps == 550 and len(resumed.replay_buffer) == 500
    assert resumed.replay_buffer.full and resumed.replay_buffer.pos == 50
    np.testing.assert_array_equal(resumed.replay_buffer.actions[50:300],
                                  before.actions[50:300])  # the old rows not yet overwritten
    assert resumed.n_updates > agent.n_updates
    assert resumed.history["timesteps"][:len(agent.history["timesteps"])] == agent.history[
        "timesteps"]


def test_resume_continues_the_exploration_schedule(make_dqn, envs, tmp_path):
    agent = make_dqn(envs.Corridor(), exploration_fraction=1.0, exploration_final_eps=0.0)
    agent.learn(100)
    agent.save(tmp_path / "e.zip")
    resumed = DQN.load(tmp_path / "e.zip", env=envs.Corridor())
    rates = []
    resumed.learn(100, reset_num_timesteps=False,
                  callback=lambda l, g: rates.append(l["self"].exploration_rate) is None)
    assert rates[0] == pytest.approx(1 - 101 / 200) and rates[-1] == pytest.approx(0.0)


def test_load_checks_the_environment_and_the_class(trained, tmp_path, envs):
    trained.save(tmp_path / "a.zip")
    with pytest.raises(ValueError, match=r"Expected `env.observation_space` to be the saved "
                                         r"Discrete\(6\). Received: Discrete\(4\)"):
        DQN.load(tmp_path / "a.zip", env=envs.Corridor(n=4))

    @register_agent
    class OtherAgent(Agent):
        def __init__(self, policy, env, learning_rate=0.1, gamma=0.99, seed=None, verbose=0,
                     policy_kwargs=None):
            super().__init__(policy, env, learning_rate=learning_rate, gamma=gamma, seed=seed,
                             verbose=verbose, policy_kwargs=policy_kwargs)

    OtherAgent(None, envs.Corridor()).save(tmp_path / "other.zip")
    with pytest.raises(ValueError, match="Expected a file holding a DQN. Received: a "
                                         "OtherAgent"):
        DQN.load(tmp_path / "other.zip")
    assert type(Agent.load(tmp_path / "other.zip")) is OtherAgent


def test_a_learning_rate_schedule_cannot_be_saved(make_dqn, envs, tmp_path):
    agent = make_dqn(envs.Corridor(), learning_rate=lambda progress: 1e-3 * progress)
    agent.learn(60)
    with pytest.raises(ValueError, match="a learning_rate schedule"):
        agent.save(tmp_path / "s.zip")
    assert not (tmp_path / "s.zip").exists()


def test_save_is_atomic(trained, tmp_path, monkeypatch):
    path = tmp_path / "a.zip"
    trained.save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(trained, "_get_state", broken)
    with pytest.raises(RuntimeError):
        trained.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["a.zip"]


# --- damaged and hostile files ---------------------------------------------------------------
def test_truncated_and_garbage_files(trained, tmp_path):
    path = tmp_path / "a.zip"
    trained.save(path, include_buffer=True)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        (tmp_path / "cut.zip").write_bytes(data[:cut])
        with pytest.raises(FileFormatError):
            DQN.load(tmp_path / "cut.zip")
    (tmp_path / "garbage.zip").write_bytes(b"not a zip at all" * 10)
    with pytest.raises(FileFormatError, match="not a valid profond agent file"):
        DQN.load(tmp_path / "garbage.zip")
    with pytest.raises(FileFormatError, match="not a regular file"):
        DQN.load(tmp_path)


def test_members_must_be_exactly_the_known_ones(trained, tmp_path):
    trained.save(tmp_path / "a.zip")
    members = _members(tmp_path / "a.zip")
    _write(tmp_path / "extra.zip", {**members, "../../evil.py": b"import os"})
    with pytest.raises(FileFormatError, match="Expected exactly"):
        DQN.load(tmp_path / "extra.zip")
    del members["arrays.safetensors"]
    _write(tmp_path / "missing.zip", members)
    with pytest.raises(FileFormatError, match="Expected exactly"):
        DQN.load(tmp_path / "missing.zip")


def test_zip_bomb_and_oversized_json_are_refused(trained, tmp_path):
    trained.save(tmp_path / "a.zip")
    members = _members(tmp_path / "a.zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", members["metadata.json"])
        zf.writestr("arrays.safetensors", members["arrays.safetensors"])
        zf.writestr("agent.json", b" " * (70 * 2**20))  # 70 MiB of spaces, deflated to ~70 KB
    (tmp_path / "bomb.zip").write_bytes(buffer.getvalue())
    with pytest.raises(FileFormatError, match="more than the .* allowed|zip bomb|expand"):
        DQN.load(tmp_path / "bomb.zip")


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.update(class_name="os.system"), "unknown agent class 'os.system'"),
    (lambda d: d.update(class_name=["DQN"]), "unknown agent class"),
    (lambda d: d["config"].update(evil="__import__('os')"), r"takes no argument\(s\) \['evil'\]"),
    (lambda d: d["config"].update(batch_size=-4), "saved arguments of DQN are invalid"),
    (lambda d: d["config"].update(policy_kwargs={"net_arch": [8]}), "Weight mismatch|shape"),
    (lambda d: d["state"].update(num_timesteps=-1), "num_timesteps"),
    (lambda d: d["state"].update(n_updates="many"), "n_updates"),
    (lambda d: d["state"].update(exploration_rate=3.0), "exploration_rate"),
    (lambda d: d["state"]["history"].update(loss=["x"]), "history"),
    (lambda d: d["state"].update(rng={"bit_generator": "PCG64", "state": {}}), "random state"),
    (lambda d: d.update(observation_space={"type": "Discrete", "n": -2}), "observation space"),
    (lambda d: d.update(action_space={"type": "Tuple"}), "action space"),
    (lambda d: d.pop("state"), "no 'state'"),
])
def test_hostile_agent_json(trained, tmp_path, edit, match):
    trained.save(tmp_path / "a.zip")
    _edit_json(tmp_path / "a.zip", tmp_path / "bad.zip", edit)
    with pytest.raises(FileFormatError, match=match):
        DQN.load(tmp_path / "bad.zip")


def test_json_with_nan_or_duplicate_keys_is_refused(trained, tmp_path):
    trained.save(tmp_path / "a.zip")
    members = _members(tmp_path / "a.zip")
    for text in (members["agent.json"].replace(b'"gamma": 0.99', b'"gamma": NaN'),
                 members["agent.json"].replace(b'"gamma": 0.99', b'"gamma": 0.99, "gamma": 1')):
        assert text != members["agent.json"]
        _write(tmp_path / "bad.zip", {**members, "agent.json": text})
        with pytest.raises(FileFormatError, match="agent.json is not valid JSON"):
            DQN.load(tmp_path / "bad.zip")


def test_metadata_from_the_future_or_another_format(trained, tmp_path):
    trained.save(tmp_path / "a.zip")
    members = _members(tmp_path / "a.zip")
    metadata = json.loads(members["metadata.json"])
    for change, match in ((dict(format_version=99), "upgrade profond"),
                          (dict(format="profond"), "not a profond agent file")):
        _write(tmp_path / "bad.zip", {**members, "metadata.json": json.dumps(
            {**metadata, **change}).encode()})
        with pytest.raises(FileFormatError, match=match):
            DQN.load(tmp_path / "bad.zip")


@pytest.mark.parametrize("edit, match", [
    (lambda a: a.pop(next(k for k in a if k.startswith("network/q_net/"))), "numbered|no value"),
    (lambda a: a.update({"network/ghost/0000:w": np.zeros(2, np.float32)}), "belongs to no"),
    (lambda a: a.update({k: v.astype(np.float64) for k, v in a.items()
                         if k.startswith("network/q_net_target/")}), "dtype"),
    (lambda a: a.update({next(k for k in a if "iteration" in k): np.array(-5)}),
     "iteration count"),
    (lambda a: a.update({"agent/buffer/actions": np.full(150, 7, np.int64)}), "actions outside"),
    (lambda a: a.update({"agent/buffer/observations": np.full(150, 9, np.int64)}),
     "observations outside"),
    (lambda a: a.update({"agent/buffer/rewards": np.full(150, np.nan, np.float32)}), "not finite"),
    (lambda a: a.update({"agent/buffer/pos": np.array([5000, 0], np.int64)}), "does not fit"),
    (lambda a: a.update({"agent/buffer/dones": np.zeros(3, np.float32)}), "Expected: shape"),
    (lambda a: a.update({"agent/q_table": np.zeros(3)}), "Unexpected arrays"),
    (lambda a: a.update({"code/run": np.zeros(3)}), "unexpected array 'code/run'"),
])
def test_hostile_arrays(trained, tmp_path, edit, match):
    trained.save(tmp_path / "a.zip", include_buffer=True)
    _edit_arrays(tmp_path / "a.zip", tmp_path / "bad.zip", edit)
    with pytest.raises(FileFormatError, match=match):
        DQN.load(tmp_path / "bad.zip")


def test_a_failed_load_raises_before_touching_anything(trained, tmp_path):
    trained.save(tmp_path / "a.zip")
    weights = [v.numpy().copy() for v in trained.q_net.weights]
    _edit_json(tmp_path / "a.zip", tmp_path / "bad.zip",
               lambda d: d["state"].update(num_timesteps=-1))
    with pytest.raises(FileFormatError):
        DQN.load(tmp_path / "bad.zip")
    for a, b in zip(weights, trained.q_net.weights):  # the live agent is untouched
        np.testing.assert_array_equal(a, b.numpy())
