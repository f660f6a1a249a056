"""tools/analysis/select_flow.py --match-threshold: each flow's motion
threshold keeps the reference proposer's share of moving changed pixels."""
import numpy as np
import pytest

from cbad.registry import register_all_modules
from cbad.utils.errors import UserInputError
from test_plot_tools import load_tool

tool = load_tool('select_flow')
register_all_modules()


def moving_square_video(frames=24, step=2, seed=0):
    """A textured square sliding right over a textured still scene."""
    rng = np.random.default_rng(seed)
    scene = rng.integers(40, 90, (120, 160)).astype(np.uint8)
    patch = rng.integers(150, 255, (24, 24)).astype(np.uint8)
    video = []
    for t in range(frames):
        frame = scene.copy()
        x = 10 + step * t
        frame[40:64, x:x + 24] = patch
        video.append(frame)
    return video


def reference_cfg(threshold=1.0):
    return dict(type='BackgroundMotionProposer', flow='farneback',
                flow_params=dict(iterations=1), combine='and',
                flow_threshold=threshold, scale=1.0)


def test_match_thresholds_keeps_the_reference_share():
    train = [moving_square_video(), moving_square_video(step=3, seed=1)]
    reference, share, pixels, thresholds = tool.match_thresholds(
        reference_cfg(), train, ['farneback', 'dis_ultrafast'])
    assert reference.flow_threshold == 1.0 and pixels > 0
    assert 0 < share < 1
    for flow, threshold in thresholds.items():
        cfg = dict(reference_cfg(), flow=flow)
        if flow != 'farneback':
            cfg['flow_params'] = None
        proposer = tool.PROPOSALS.build(cfg)
        speeds = np.concatenate([tool.changed_speeds(v, proposer)
                                 for v in train])
        # the method's own speeds above its threshold: the reference share
        assert (speeds > threshold).mean() == pytest.approx(share,
                                                            abs=0.01)
    # the reference flow gets its own threshold back (up to the quantile's
    # interpolation between two neighbouring speeds)
    farneback = np.sort(np.concatenate([
        tool.changed_speeds(v, reference) for v in train]))
    below = farneback[farneback <= 1.0].max()
    above = farneback[farneback > 1.0].min()
    assert below <= thresholds['farneback'] <= above


def test_a_higher_reference_threshold_raises_every_matched_threshold():
    train = [moving_square_video()]
    _, low_share, _, low = tool.match_thresholds(
        reference_cfg(0.5), train, ['dis_ultrafast'])
    _, high_share, _, high = tool.match_thresholds(
        reference_cfg(1.5), train, ['dis_ultrafast'])
    assert high_share < low_share
    assert high['dis_ultrafast'] > low['dis_ultrafast']


def test_downsample_and_flow_params_reach_the_candidate_only():
    train = [moving_square_video(), moving_square_video(step=3, seed=1)]
    reference, share, _, thresholds = tool.match_thresholds(
        reference_cfg(), train, ['farneback'], downsample=2,
        flow_params=dict(winsize=7))
    assert reference.flow.downsample == 1  # the reference is the config's
    assert reference.flow.flow_params['winsize'] == 15
    candidate = tool.PROPOSALS.build(dict(
        reference_cfg(), flow_downsample=2,
        flow_params=dict(iterations=1, winsize=7)))
    speeds = np.concatenate([tool.changed_speeds(v, candidate)
                             for v in train])
    assert (speeds > thresholds['farneback']).mean() == pytest.approx(
        share, abs=0.01)
    # a different flow than the reference's, so a different threshold
    assert thresholds['farneback'] != pytest.approx(1.0, abs=1e-3)


def test_a_still_video_has_nothing_to_match():
    still = [np.full((120, 160), 80, np.uint8)] * 10
    with pytest.raises(UserInputError, match='no pixel'):
        tool.match_thresholds(reference_cfg(), [still], ['dis_ultrafast'])
