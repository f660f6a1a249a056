"""tools/analysis/object_scoring_choices.py: how the pseudo-anomaly AUC
counts frames under each protocol (the cache and refits run the registered
scorers, tested on their own)."""
import numpy as np
import pytest

from test_plot_tools import load_tool

tool = load_tool('object_scoring_choices')


def trailing_tail():
    """An edited video whose scores stay high for 3 frames after its edit
    (a trailing step's tail), beside one unedited video."""
    normal = [np.array([0.1, 0.2, 0.3, 0.2])]
    scores = np.array([0.1, 0.9, 0.9, 0.8, 0.7, 0.6, 0.1])
    labels = np.array([0, 1, 1, 0, 0, 0, 0], np.uint8)
    return normal, [(scores, labels)]


def test_edited_frames_leave_the_edited_videos_other_frames_out():
    normal, edited = trailing_tail()
    # positives 0.9, 0.9 against 0.1 0.2 0.3 0.2: perfect
    assert tool.pseudo_auc(normal, edited) == pytest.approx(1.0)
    assert tool.pseudo_auc(normal, edited, 'edited-frames') == 1.0


def test_whole_videos_count_the_tail_after_an_edit_as_normal():
    normal, edited = trailing_tail()
    auc = tool.pseudo_auc(normal, edited, 'whole-videos')
    # negatives: 0.1 0.2 0.3 0.2 (normal) + 0.1 0.8 0.7 0.6 0.1 (edited
    # video's unedited frames); both positives (0.9) beat all 9: still 1
    assert auc == pytest.approx(1.0)
    # a tail as high as the edit ties: 3 of the 9 negatives tie both
    # positives, each tie counting a half
    tied = [(np.array([0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.1]),
             edited[0][1])]
    assert tool.pseudo_auc(normal, tied, 'whole-videos') == pytest.approx(
        (2 * 6 + 2 * 3 * 0.5) / 18)
    assert tool.pseudo_auc(normal, tied) == pytest.approx(1.0)


def test_unknown_protocol_is_refused():
    normal, edited = trailing_tail()
    with pytest.raises(ValueError, match='protocol must be one of'):
        tool.pseudo_auc(normal, edited, 'frames')


def test_learned_ratios_are_normalised_d_t_r_shares():
    assert tool.parse_ratio('2:1:2') == pytest.approx(
        dict(D=0.4, T=0.2, R=0.4))
    assert tool.parse_ratio('2:1:0') == pytest.approx(
        dict(D=2 / 3, T=1 / 3, R=0.0))
    assert tool.parse_ratio(tool.LEARNED_RATIO) == pytest.approx(
        dict(D=0.4, T=0.2, R=0.4))  # the default is the full model's


@pytest.mark.parametrize('bad', ['2:1', '0:0:0', '1:-1:2', 'a:b:c'])
def test_bad_learned_ratios_are_refused(bad):
    with pytest.raises(ValueError, match='D:T:R'):
        tool.parse_ratio(bad)
    with pytest.raises(SystemExit):
        tool.parse_args(['config.py', 'ckpt.pth', '--learned-ratios', bad])
