"""Fit a detector's scorers and threshold on normal data after training."""
from typing import Optional

from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from torch.utils.data import DataLoader

from cbad.registry import DATASETS, HOOKS
from cbad.structures import DEFAULT_CLIP_LEN, DEFAULT_STRIDE
from ..fitting import DEFAULT_CLIP_TO_FRAME, fit_detector


@HOOKS.register_module()
class FitDetectorHook(Hook):
    """Run :func:`cbad.engine.fit_detector` at the end of training.

    The fit runs in ``after_train_epoch`` of the last epoch (and every
    ``interval`` epochs if set), at a priority above mmengine's
    ``CheckpointHook``, so the checkpoint written for that epoch already holds
    the fitted buffers and ``tools/test.py`` needs no training data.

    At test time a checkpoint that lacks the fitted state stops the test
    with an explanation, unless ``fit_at_test_if_missing`` is true (which
    ``tools/test.py --fit-if-missing`` sets): then it is fitted before the
    test loop, on the config's normal training/validation data.

    Args:
        fit_dataloader (dict, optional): Dataloader config over the normal
            validation split (threshold, normalisers). Defaults to None: the
            config's top-level ``fit_dataloader``.
        train_dataloader (dict, optional): Dataloader config over the training
            normals for scorers that need a memory bank. Defaults to None: the
            config's top-level ``fit_train_dataloader`` if present.
        segment_len (int, optional): Window length of the segments the
            threshold is fitted on. Defaults to None: the test metric's
            ``segment_len`` (16 if there is none), so both always agree.
        segment_stride (int, optional): Their stride; same rule (4).
        clip_to_frame (str, optional): Clip-to-frame reduction; same rule
            (``'mean'``).
        interval (int, optional): Also fit every ``interval`` epochs.
            Defaults to None (last epoch only).
        fit_at_test_if_missing (bool): Fit before testing an unfitted
            checkpoint instead of refusing it. Defaults to False: what is
            tested is what the checkpoint holds (``tools/fit.py`` fits one).
    """

    priority = 'NORMAL'  # before CheckpointHook (VERY_LOW)

    def __init__(self,
                 fit_dataloader: Optional[dict] = None,
                 train_dataloader: Optional[dict] = None,
                 segment_len: Optional[int] = None,
                 segment_stride: Optional[int] = None,
                 clip_to_frame: Optional[str] = None,
                 interval: Optional[int] = None,
                 fit_at_test_if_missing: bool = False) -> None:
        self.fit_dataloader = fit_dataloader
        self.train_dataloader = train_dataloader
        self.overrides = dict(
            segment_len=segment_len,
            segment_stride=segment_stride,
            clip_to_frame=clip_to_frame)
        self.interval = interval
        self.fit_at_test_if_missing = fit_at_test_if_missing

    def _threshold_kwargs(self, runner: Runner) -> dict:
        evaluator = runner.cfg.get('test_evaluator') or {}
        if isinstance(evaluator, (list, tuple)):
            evaluator = evaluator[0] if evaluator else {}
        defaults = dict(segment_len=DEFAULT_CLIP_LEN,
                        segment_stride=DEFAULT_STRIDE,
                        clip_to_frame=DEFAULT_CLIP_TO_FRAME)
        return {
            key: value if value is not None else evaluator.get(
                key, defaults[key])
            for key, value in self.overrides.items()
        }

    @staticmethod
    def _whole_split_loader(cfg: dict) -> DataLoader:
        """A plain sequential loader over the *whole* split on every rank.

        ``Runner.build_dataloader`` would shard the split across ranks, and a
        threshold or memory bank fitted on a shard would differ per rank; the
        fitted state must be the same everywhere, so each rank sees it all.
        """
        dataset = cfg['dataset']
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        return DataLoader(
            dataset,
            batch_size=cfg.get('batch_size', 1),
            num_workers=cfg.get('num_workers', 0),
            shuffle=False,
            collate_fn=pseudo_collate)

    @staticmethod
    def _detector(runner: Runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def fit(self, runner: Runner) -> None:
        """Fit the runner's detector on the configured normal data."""
        val_cfg = self.fit_dataloader or runner.cfg.get('fit_dataloader')
        if val_cfg is None:
            raise RuntimeError(
                'FitDetectorHook needs a dataloader over normal validation '
                'clips: add `fit_dataloader = dict(...)` (split=\'val\') to '
                'the config, as configs/_base_/datasets/*.py do.')
        train_cfg = self.train_dataloader or runner.cfg.get(
            'fit_train_dataloader')
        val_loader = self._whole_split_loader(val_cfg)
        train_loader = None
        if train_cfg is not None:
            train_loader = self._whole_split_loader(train_cfg)
        kwargs = self._threshold_kwargs(runner)
        runner.logger.info(f'Fitting scorers and threshold on normal data '
                           f'({kwargs}) ...')
        fit_detector(self._detector(runner), train_loader, val_loader,
                     **kwargs)

    def after_train_epoch(self, runner: Runner) -> None:
        last = runner.epoch + 1 >= runner.max_epochs
        periodic = self.interval and (runner.epoch + 1) % self.interval == 0
        if last or periodic:
            self.fit(runner)

    def before_test_epoch(self, runner: Runner) -> None:
        if self._detector(runner).is_fitted:
            return
        if not self.fit_at_test_if_missing:
            checkpoint = runner.cfg.get('load_from') or 'The checkpoint'
            raise RuntimeError(
                f'{checkpoint} has no fitted threshold/scorers (an earlier '
                'epoch than the last, or written before fitting), and '
                'FitDetectorHook.fit_at_test_if_missing is False, so it was '
                'not tested. Fit it first with tools/fit.py CONFIG '
                'CHECKPOINT --out FITTED.pth and test that, or pass '
                '--fit-if-missing to tools/test.py to fit it now on the '
                "config's normal training/validation data.")
        runner.logger.warning(
            'The checkpoint has no fitted threshold/scorers: fitting them now '
            'on the normal training/validation data of this config.')
        self.fit(runner)
