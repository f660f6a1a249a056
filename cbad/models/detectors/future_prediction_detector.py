"""Future Frame Prediction (Liu et al., CVPR 2018) as a cbad detector."""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import nn

from cbad.registry import DETECTORS, MODELS
from cbad.structures import ClipDataSample
from .base_detector import BaseAnomalyDetector


def _set_requires_grad(module: Optional[nn.Module], flag: bool) -> None:
    for param in module.parameters() if module is not None else []:
        param.requires_grad_(flag)


@DETECTORS.register_module()
class FuturePredictionDetector(BaseAnomalyDetector):
    """A generator predicts each frame from the ``T_in`` frames before it.

    Published checkpoints leave the discriminator out (it only trains the
    generator): see :attr:`training_only_prefixes`.

    Frames of normal video are predictable; an anomaly is a frame predicted
    badly (low PSNR). A clip of T frames holds ``K = T - T_in`` prediction
    targets (FFP: T = 5, K = 1). Training (:meth:`train_step`) alternates a
    generator step on ``lambda_int L_int + lambda_gd L_gd + lambda_op L_op
    + lambda_adv L_adv^G`` (Eq. 9) and a discriminator step on ``L_adv^D``
    (Eq. 10) with the prediction detached.

    Per-frame evidence (:meth:`predict_frame_scores`): target frames get the
    scorer's value of their own prediction; the first ``T_in`` frames of the
    clip, which it cannot predict, get the score of the clip's first target.
    With FFP's T = 5 every frame of the clip thus carries the clip's one
    score, and the metric's clip->frame mean covers the first frames of a
    video too (see configs/futurepred/README.md for the smoothing this
    implies).

    Optimisers: with an :class:`OptimWrapperDict` the keys ``'generator'``
    and ``'discriminator'`` are used. With a single :class:`OptimWrapper`
    over all parameters (the configs: Adam with ``lr_mult=0.1`` on the
    discriminator's parameters), each step only gives gradients to its own
    network and Adam skips parameters without one, which is the same as two
    Adam optimisers.

    Args:
        generator (dict): ``HEADS`` config with an ``in_frames`` attribute,
            mapping (N, C, T_in, H, W) to (N, C, H, W), e.g.
            :class:`UNetPredictor`.
        discriminator (dict, optional): ``HEADS`` config mapping frames to
            patch scores, e.g. :class:`PatchDiscriminator`. None trains
            without the adversarial term. Defaults to None.
        intensity_loss (dict): Defaults to ``dict(type='IntensityLoss')``.
        gradient_loss (dict, optional): Defaults to
            ``dict(type='GradientLoss')``; None drops the term.
        flow_loss (dict, optional): Called as ``loss(pred, target,
            previous)``. Defaults to None (no motion term).
        adversarial_loss (dict): Used when ``discriminator`` is set.
            Defaults to ``dict(type='AdversarialLoss', loss_weight=0.05)``.
        scorer (dict): Maps (pred, target) frames to (N,) anomaly scores.
            Defaults to ``dict(type='PSNRScorer')``.
        **kwargs: ``data_preprocessor``, ``thresholder``, ``init_cfg`` of
            :class:`BaseAnomalyDetector`.

    Shape:
        - inputs: (N, C, T, H, W) normalised clips, T > T_in.
        - predict_frame_scores output: (N, T).
    """

    training_only_prefixes = ('discriminator.', )

    #: Squared error of each predicted frame.
    response_map = 'prediction_error'

    def __init__(self,
                 generator: dict,
                 discriminator: Optional[dict] = None,
                 intensity_loss: dict = dict(type='IntensityLoss'),
                 gradient_loss: Optional[dict] = dict(type='GradientLoss'),
                 flow_loss: Optional[dict] = None,
                 adversarial_loss: dict = dict(
                     type='AdversarialLoss', loss_weight=0.05),
                 scorer: dict = dict(type='PSNRScorer'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.generator = MODELS.build(generator)
        if not isinstance(getattr(self.generator, 'in_frames', None), int):
            raise TypeError(f'{type(self.generator).__name__} has no integer '
                            '`in_frames`; the detector needs it to cut clips '
                            'into (past frames, target) pairs.')
        self.in_frames = self.generator.in_frames
        self.discriminator = (MODELS.build(discriminator)
                              if discriminator is not None else None)
        self.intensity_loss = MODELS.build(intensity_loss)
        self.gradient_loss = (MODELS.build(gradient_loss)
                              if gradient_loss is not None else None)
        self.flow_loss = (MODELS.build(flow_loss)
                          if flow_loss is not None else None)
        self.adversarial_loss = MODELS.build(adversarial_loss)
        self.scorer = MODELS.build(scorer)

    # ------------------------------------------------------------ helpers
    def split_clips(self, inputs: torch.Tensor
                    ) -> Tuple[torch.Tensor, torch.Tensor, int]:
        """Cut clips into every (past frames, next frame) pair they hold.

        Returns:
            tuple: ``past`` (N*K, C, T_in, H, W), ``target`` (N*K, C, H, W)
            and K = T - T_in, ordered clip-major.
        """
        if inputs.dim() != 5:
            raise ValueError(f'expected (N, C, T, H, W) clips, got '
                             f'{tuple(inputs.shape)}.')
        n, c, t, h, w = inputs.shape
        k = t - self.in_frames
        if k < 1:
            raise ValueError(
                f'clips of {t} frames hold no prediction target for a '
                f'generator of in_frames={self.in_frames}; set the dataset '
                f'clip_len to at least {self.in_frames + 1}.')
        windows = inputs.unfold(2, self.in_frames + 1, 1)  # N,C,K,H,W,T_in+1
        windows = windows.permute(0, 2, 1, 5, 3, 4).reshape(
            n * k, c, self.in_frames + 1, h, w)
        return windows[:, :, :-1], windows[:, :, -1], k

    def generator_losses(self, pred: torch.Tensor, target: torch.Tensor,
                         previous: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The generator's loss terms (Eq. 9) for predictions ``pred``."""
        losses = dict(loss_int=self.intensity_loss(pred, target))
        if self.gradient_loss is not None:
            losses['loss_gd'] = self.gradient_loss(pred, target)
        if self.flow_loss is not None:
            losses['loss_op'] = self.flow_loss(pred, target, previous)
        if self.discriminator is not None:
            losses['loss_adv'] = self.adversarial_loss(
                self.discriminator(pred), target_is_real=True)
        return losses

    def discriminator_loss(self, pred: torch.Tensor,
                           target: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``L_adv^D`` (Eq. 10) on real frames and detached predictions."""
        if self.discriminator is None:
            raise RuntimeError('this detector was built without a '
                               'discriminator; there is no L_adv^D.')
        real = self.adversarial_loss(
            self.discriminator(target), target_is_real=True, is_disc=True)
        fake = self.adversarial_loss(
            self.discriminator(pred.detach()), target_is_real=False,
            is_disc=True)
        return dict(loss_disc=real + fake)

    # -------------------------------------------------------------- modes
    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[List[ClipDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """Generator losses of a batch of normal clips (mode='loss')."""
        past, target, _ = self.split_clips(inputs)
        pred = self.generator(past)
        return self.generator_losses(pred, target, past[:, :, -1])

    def predict_frame_scores(
            self, inputs: torch.Tensor,
            data_samples: Optional[List[ClipDataSample]] = None
    ) -> torch.Tensor:
        past, target, k = self.split_clips(inputs)
        scores = self.scorer(self.generator(past), target).view(-1, k)
        first = scores[:, :1].expand(-1, self.in_frames)  # unpredictable
        return torch.cat([first, scores], dim=1)  # N x T

    # ----------------------------------------------------------- training
    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, torch.Tensor]:
        """One generator step, then one discriminator step (FFP's GAN)."""
        if isinstance(optim_wrapper, OptimWrapperDict):
            missing = {'generator', 'discriminator'} - set(
                optim_wrapper.keys())
            if self.discriminator is None:
                missing.discard('discriminator')
            if missing:
                raise KeyError(
                    f'OptimWrapperDict lacks {sorted(missing)}; found '
                    f'{sorted(optim_wrapper.keys())}. Name the wrappers '
                    "'generator' and 'discriminator'.")
            g_wrapper = optim_wrapper['generator']
            d_wrapper = (optim_wrapper['discriminator']
                         if 'discriminator' in optim_wrapper else None)
        else:
            g_wrapper = d_wrapper = optim_wrapper
        data = self.data_preprocessor(data, True)
        past, target, _ = self.split_clips(data['inputs'])

        # Generator: D frozen, so a shared optimiser leaves D untouched.
        _set_requires_grad(self.discriminator, False)
        g_wrapper.zero_grad()
        with g_wrapper.optim_context(self.generator):
            pred = self.generator(past)
            losses = self.generator_losses(pred, target, past[:, :, -1])
        g_total, log_vars = self.parse_losses(losses)
        g_wrapper.update_params(g_total)
        _set_requires_grad(self.discriminator, True)
        if self.discriminator is None:
            return log_vars

        # Discriminator: pred is detached, so G receives no gradient.
        d_wrapper.zero_grad()
        with d_wrapper.optim_context(self.discriminator):
            d_losses = self.discriminator_loss(pred, target)
        d_total, d_log_vars = self.parse_losses(d_losses)
        d_wrapper.update_params(d_total)
        log_vars['loss_disc'] = d_log_vars['loss_disc']
        return log_vars
