import pandas as pd
import pytest

from stgnn.errors import ConfigError
from stgnn.walkforward.backends import run_tasks, threads_per_task
from stgnn.walkforward.runner import run_walk_forward

pytestmark = pytest.mark.slow


def _oos(config, data, path, **kw):
    return pd.read_csv(run_walk_forward(config, data, path, **kw).run_dir / "oos_predictions.csv")


def test_local_workers_and_ray_give_identical_predictions(tiny, tmp_path):
    ray = pytest.importorskip("ray")
    config, data = tiny
    config = config.updated({"walkforward.baselines": ["majority"], "walkforward.folds": 2})
    local = _oos(config, data, tmp_path / "local", workers=2)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = _oos(config, data, tmp_path / "ray", backend="ray", workers=2)
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(local, remote)


def test_backend_errors():
    assert threads_per_task(64) == 1
    with pytest.raises(ConfigError, match="Expected --backend"):
        run_tasks(print, [()], backend="spark")
    with pytest.raises(ConfigError, match="Expected --workers >= 1"):
        run_tasks(print, [()], workers=0)
