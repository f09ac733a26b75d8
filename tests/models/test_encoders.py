import pytest
import torch

from stgnn.models.encoders import TCNEncoder


def _tcn(layers, kernel, seed=0):
    torch.manual_seed(seed)
    return TCNEncoder(4, 8, layers=layers, kernel=kernel).eval()


@pytest.mark.parametrize(("layers", "kernel", "window"), [(1, 3, 3), (2, 2, 6), (3, 3, 15), (3, 3, 20), (2, 4, 12)])
def test_tcn_series_gives_every_day_the_state_of_its_window(layers, kernel, window):
    tcn = _tcn(layers, kernel)
    assert tcn.receptive_field == 1 + (kernel - 1) * (2**layers - 1) <= window
    x = torch.randn(3, 40, 4, generator=torch.Generator().manual_seed(1))
    series = tcn.series(x)
    assert series.shape == (3, 40, 8)
    windows = torch.stack([tcn(x[:, t - window + 1:t + 1]) for t in range(window - 1, 40)], dim=1)
    torch.testing.assert_close(series[:, window - 1:], windows, rtol=0, atol=1e-5)


def test_tcn_series_differs_from_windows_shorter_than_its_receptive_field():
    tcn = _tcn(3, 3)
    window = tcn.receptive_field - 1  # the window's left zero padding reaches the last step
    x = torch.randn(2, 30, 4, generator=torch.Generator().manual_seed(1))
    assert not torch.allclose(tcn.series(x)[:, -1], tcn(x[:, -window:]), atol=1e-3)


def test_tcn_series_at_a_series_start_is_the_state_of_the_days_that_exist():
    tcn = _tcn(2, 3)
    x = torch.randn(2, 10, 4, generator=torch.Generator().manual_seed(1))
    series = tcn.series(x)
    for t in range(4):  # shorter than the receptive field: both read the same zero padding
        torch.testing.assert_close(series[:, t], tcn(x[:, :t + 1]), rtol=0, atol=1e-6)


@pytest.mark.parametrize(("layers", "kernel", "window"), [(1, 2, 2), (3, 3, 15), (3, 3, 20), (4, 2, 16), (2, 4, 7)])
def test_tcn_last_step_reads_only_what_it_needs_with_the_same_gradients(layers, kernel, window):
    """forward computes the last step alone (strided, on the steps it reads; or, for a window
    shorter than the receptive field, along the series): the series' last state and gradients."""
    x = torch.randn(5, window, 4, generator=torch.Generator().manual_seed(2))
    results = []
    for last_step in (lambda tcn: tcn(x), lambda tcn: tcn.series(x)[:, -1]):
        tcn = _tcn(layers, kernel).train()  # dropout 0: training mode changes nothing else
        out = last_step(tcn)
        (out ** 2).sum().backward()
        results.append((out, [p.grad for p in tcn.parameters()]))
    (a, grads_a), (b, grads_b) = results
    torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
    for ga, gb in zip(grads_a, grads_b):
        torch.testing.assert_close(ga, gb, rtol=0, atol=1e-5)
