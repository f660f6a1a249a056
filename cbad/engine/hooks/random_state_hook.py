"""Resume a training run exactly: same random draws as an unbroken run."""
from typing import Any, Dict, List, Optional

from mmengine.dataset import worker_init_fn as mmengine_worker_init_fn
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.runner import Runner

from cbad.registry import HOOKS
from cbad.utils.random_state import (WorkerSeeder, get_random_state,
                                     set_random_state)

#: The key of the state in a training checkpoint.
CHECKPOINT_KEY = 'random_state'


def _samplers(runner: Runner) -> List[Any]:
    """The train loader's samplers that shuffle from a ``seed`` attribute."""
    loader = runner.train_dataloader
    found = [getattr(loader, 'sampler', None),
             getattr(getattr(loader, 'batch_sampler', None), 'sampler', None)]
    return [s for s in found if isinstance(getattr(s, 'seed', None), int)]


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save every generator with the checkpoint; restore it on resume.

    Without it a run resumed after epoch N draws its augmentations from a
    freshly seeded generator, not from where epoch N left it, and every frame
    score differs from the run that was never stopped. This hook:

    * takes a snapshot of all generators when an epoch's training ends,
      before anything else runs in ``after_train_epoch`` (fitting the
      scorers, validation, saving), and writes the latest snapshot into
      every checkpoint under ``'random_state'``: python, numpy, torch CPU and
      CUDA states of every rank, plus the train sampler's seed;
    * restores the snapshot when the next epoch starts, both in a resumed
      run (from the checkpoint) and in an unbroken one (from memory), so
      what runs between two epochs (the scorer fit of a run that stops at
      this epoch, a validation loop) cannot change the next epoch's draws;
    * seeds dataloader workers from ``(seed, epoch, rank, worker_id)``
      (:class:`~cbad.utils.random_state.WorkerSeeder`), so workers, even
      persistent ones, draw the same numbers after a resume. A custom
      ``worker_init_fn`` in the config is left alone (a log line says so).

    Exact for epoch-based loops resumed from a checkpoint saved at an
    epoch's end (cbad's default: one per epoch); from one saved mid-epoch,
    the epoch starts over with the draws it started with. A checkpoint
    without the state (written by an older cbad) resumes as before, with a
    warning that the run will not match an unbroken one.
    ``configs/_base_/default_runtime.py`` adds the hook to every cbad config
    (``default_hooks.random_state``; mmengine refuses None for an added
    default hook, so replace it rather than remove it).
    """

    priority = 'HIGHEST'

    def __init__(self) -> None:
        self._state: Optional[Dict[str, Any]] = None
        self._seeder: Optional[WorkerSeeder] = None
        self._started = False

    def before_train(self, runner: Runner) -> None:
        loader = runner.train_dataloader
        if not getattr(loader, 'num_workers', 0):
            return
        init_fn = loader.worker_init_fn
        if init_fn is not None and getattr(
                init_fn, 'func', init_fn) is not mmengine_worker_init_fn:
            runner.logger.info(
                'RandomStateHook: the train dataloader has its own '
                'worker_init_fn; workers are seeded by it, and a resumed run '
                'matches an unbroken one only if it seeds per epoch.')
            return
        self._seeder = WorkerSeeder(runner.seed, get_rank())
        loader.worker_init_fn = self._seeder

    def before_train_epoch(self, runner: Runner) -> None:
        if self._seeder is not None:
            self._seeder.set_epoch(runner.epoch)
        state = self._state
        resumed = runner.epoch > 0 and not self._started
        self._started = True
        if state is None or state.get('epoch') != runner.epoch:
            if resumed:
                runner.logger.warning(
                    'The resumed checkpoint holds no random state for epoch '
                    f'{runner.epoch} (written by an older cbad, or without '
                    'RandomStateHook): this run draws other augmentations '
                    'than the interrupted one would have, so its results '
                    'will differ slightly from an uninterrupted run.')
            return
        ranks = state['ranks']
        if len(ranks) != get_world_size():
            runner.logger.warning(
                f'The checkpoint holds the random state of {len(ranks)} '
                f'process(es) and this run has {get_world_size()}; each '
                'process takes one of them, so the run will not match the '
                'interrupted one exactly.')
        warning = set_random_state(ranks[get_rank() % len(ranks)])
        if warning:
            runner.logger.warning(f'RandomStateHook: {warning}')
        for sampler in _samplers(runner):
            if state.get('sampler_seed') is not None:
                sampler.seed = state['sampler_seed']

    def after_train_epoch(self, runner: Runner) -> None:
        local = get_random_state()
        ranks = (all_gather_object(local)
                 if get_world_size() > 1 else [local])
        samplers = _samplers(runner)
        self._state = dict(
            epoch=runner.epoch + 1,  # epochs completed
            ranks=ranks,
            sampler_seed=samplers[0].seed if samplers else None)

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        if self._state is not None:
            checkpoint[CHECKPOINT_KEY] = self._state

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        # Used only if training continues at the epoch the state was taken
        # (a resume); ``load_from`` starts at epoch 0 and ignores it.
        state = checkpoint.get(CHECKPOINT_KEY)
        if isinstance(state, dict) and state.get('ranks'):
            self._state = state
