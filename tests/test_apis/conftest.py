"""Tiny footage and tiny detectors for the inference tests."""
import logging
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from cbad.engine import fit_detector
from cbad.apis.scoring import FramePreprocessor
from cbad.registry import MODELS, register_all_modules
from cbad.structures import ClipDataSample

PIPELINE = [dict(type='LoadClipFrames', to_gray=True),
            dict(type='ResizeClip', size=(16, 24)),
            dict(type='PackClipInputs')]
MODEL = dict(
    type='ReconstructionDetector',
    data_preprocessor=dict(type='ClipDataPreprocessor', mean=[127.5],
                           std=[127.5]),
    encoder=dict(type='ConvAEEncoder', in_frames=4, channels=(4, 4, 2)),
    decoder=dict(type='ConvAEDecoder', out_frames=4, channels=(4, 4, 2)),
    scorer=dict(type='ReconstructionErrorScorer'))
# clip_len 4, stride 3: windows overlap, and the end-aligned window matters
CFG = dict(model=MODEL,
           test_dataloader=dict(dataset=dict(clip_len=4, stride=3,
                                             pipeline=PIPELINE)),
           test_evaluator=dict(clip_to_frame='mean'))


def frames_of(length, seed=0, size=(24, 32)):
    """Random BGR frames with a bright square that moves, then jumps."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(length):
        frame = rng.integers(0, 60, (*size, 3), dtype=np.uint8)
        x = (i * 2) % (size[1] - 6) if i < length // 2 else 2
        frame[8:14, x:x + 6] = 250
        frames.append(frame)
    return frames


def random_frames(length, seed, size=(24, 32)):
    """Frames of uniform noise (no structure a detector could learn)."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            for _ in range(length)]


def write_video(path, frames, fps=10.0):
    """An mp4v video; returns its path as str."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return str(path)


def write_folder(path, frames):
    """Frames as 0.png, 1.png, ... (natural order matters: 10 after 9)."""
    path.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(path / f'{i}.png'), frame)
    return str(path)


@pytest.fixture
def tiny():
    """A tiny Conv-AE detector and its config, threshold set by hand."""
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(MODEL).eval()
    model.cfg = Config(CFG)
    # a threshold inside the score range of frames_of(): events and normal
    # frames both occur (fitting it is not what these tests are about)
    model.threshold.fill_(0.6)
    return model


class FakeCapture:
    """Stands in for cv2.VideoCapture on a live URL: each opening serves
    the next entry of ``plan`` frames, then read() fails (a drop).

    Class attributes are set by a test: ``plan`` (frames per opening; 0 =
    the opening fails) and ``opened`` (how many times it was opened).
    """

    plan = [5]
    opened = 0
    raise_after = None  # raise this exception instead of dropping

    def __init__(self, spec):
        self.spec = spec
        index = type(self).opened
        type(self).opened += 1
        self.frames = self.plan[index] if index < len(self.plan) else 0
        self.served = 0

    def isOpened(self):
        return self.frames > 0

    def read(self):
        if self.served >= self.frames:
            if self.raise_after is not None:
                raise self.raise_after
            return False, None
        self.served += 1
        return True, frames_of(1, seed=self.served)[0]

    def get(self, prop):
        return 10.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def release(self):
        pass


@pytest.fixture
def footage():
    """The helpers above, for tests (conftest modules are not importable)."""

    class Footage:
        pass

    helpers = Footage()
    for fn in (frames_of, write_video, write_folder):
        setattr(helpers, fn.__name__, staticmethod(fn))
    return helpers


@pytest.fixture
def fake_stream(monkeypatch):
    """cv2.VideoCapture replaced by a fresh :class:`FakeCapture` class;
    set its ``plan`` (and ``raise_after``) in the test."""

    class Capture(FakeCapture):
        plan = [5]
        opened = 0

    monkeypatch.setattr(cv2, 'VideoCapture', Capture)
    return Capture


@pytest.fixture
def warnings_log():
    """Messages logged through mmengine's current logger."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.fixture
def tiny_files(tmp_path, tiny):
    """The tiny detector as a config file and a checkpoint, for the CLI."""
    config = tmp_path / 'tiny.py'
    Config(CFG).dump(str(config))
    checkpoint = tmp_path / 'tiny.pth'
    torch.save(tiny.state_dict(), str(checkpoint))
    return str(config), str(checkpoint)


CONTRASTIVE_TINY = osp.join(osp.dirname(osp.dirname(__file__)), 'configs',
                            'contrastive_tiny.py')
CONTRASTIVE_PIPELINE = [dict(type='LoadClipFrames', to_gray=True),
                        dict(type='ResizeClip', size=(12, 16)),
                        dict(type='PackClipInputs')]


@pytest.fixture(scope='session')
def contrastive():
    """A fitted tiny ContrastiveDetector (tests/configs/contrastive_tiny.py,
    4-frame windows every 2 frames) whose ``cfg`` scores whole videos with
    :data:`CONTRASTIVE_PIPELINE`. Built once: tests must not change it."""
    register_all_modules()
    torch.manual_seed(0)
    cfg = Config.fromfile(CONTRASTIVE_TINY).model
    cfg.fusion.weights = dict(D=0.4, T=0.2, R=0.4)
    model = MODELS.build(cfg).eval()

    def batch(seed):
        frames = FramePreprocessor(model, CONTRASTIVE_PIPELINE)(
            random_frames(20, seed))
        # fit() runs the preprocessor itself: hand it uint8 again
        raw = ((frames * 127.5) + 127.5).round().to(torch.uint8)
        return dict(inputs=[raw], data_samples=[ClipDataSample(
            metainfo=dict(video=f'v{seed}', num_frames=20))])

    fit_detector(model, [batch(i) for i in range(3)], [batch(10 + i) for i in range(2)])
    model.cfg = Config(dict(
        test_dataloader=dict(dataset=dict(
            sample_unit='video', clip_len=16, stride=4,
            pipeline=CONTRASTIVE_PIPELINE)),
        test_evaluator=dict(clip_to_frame='mean')))
    return model
