"""MemAE: a reconstruction detector with a memory between encoder and decoder."""
from typing import Dict, List, Optional, Tuple

import torch

from cbad.registry import DETECTORS, MODELS
from cbad.structures import ClipDataSample
from ..dims import with_dims
from .reconstruction_detector import ReconstructionDetector


@DETECTORS.register_module()
class MemAEDetector(ReconstructionDetector):
    """Memory-augmented autoencoder of Gong et al. (ICCV 2019).

    The encoder's code map is replaced, position by position, by a sparse
    combination of learned normal prototypes (:class:`MemoryModule`) before
    decoding, so an anomaly is reconstructed from normal patterns and its
    error stays high. Training minimises (Eq. 10)
    ``R(x, x_hat) + alpha * E(w_hat)``: the reconstruction loss plus the
    entropy of the addressing weights (:class:`EntropyLoss`, its
    ``loss_weight`` is ``alpha``). The score is the per-frame reconstruction
    error, as for Conv-AE. Besides the losses, training logs ``mem_empty``,
    the share of addresses the shrinkage zeroed entirely.

    Args:
        encoder (dict): ``ENCODERS`` config, e.g. ``MemAEEncoder``.
        memory (dict): ``MemoryModule`` config; ``feat_dim`` is the
            encoder's output width where the config leaves it out.
        decoder (dict): ``HEADS`` config, called as
            ``decoder(z_hat, (T, H, W))``.
        loss (dict): Reconstruction loss config.
            Defaults to ``dict(type='ReconstructionLoss')``.
        entropy_loss (dict, optional): Loss on the addressing weights; None
            trains without it. Defaults to ``dict(type='EntropyLoss')``.
        scorer (dict): Reconstruction-error scorer config.
        **kwargs: ``data_preprocessor``, ``thresholder``, ``init_cfg`` of
            :class:`BaseAnomalyDetector`.

    Shape:
        - inputs: (N, C, T, H, W) normalised clips.
    """

    def __init__(self,
                 encoder: dict,
                 memory: dict,
                 decoder: dict,
                 loss: dict = dict(type='ReconstructionLoss'),
                 entropy_loss: Optional[dict] = dict(type='EntropyLoss'),
                 scorer: dict = dict(type='ReconstructionErrorScorer'),
                 **kwargs) -> None:
        super().__init__(
            encoder=encoder,
            decoder=decoder,
            loss=loss,
            scorer=scorer,
            **kwargs)
        self.memory = MODELS.build(
            with_dims(memory, feat_dim=self.encoder.channels[-1]))
        self.entropy_loss = (
            MODELS.build(entropy_loss) if entropy_loss else None)

    def reconstruct_with_address(
            self, inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Reconstruction (shaped like ``inputs``) and addressing weights.

        Returns:
            tuple: ``(x_hat, w_hat)``, w_hat (N, t, h, w, M).
        """
        z_hat, w_hat = self.memory(self.encoder(inputs))
        return self.decoder(z_hat, inputs.shape[2:]), w_hat

    def reconstruct(self, inputs: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``inputs`` through the memory, same shape."""
        return self.reconstruct_with_address(inputs)[0]

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[List[ClipDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        x_hat, w_hat = self.reconstruct_with_address(inputs)
        losses = dict(loss_rec=self.loss_module(x_hat, inputs))
        if self.entropy_loss is not None:
            losses['loss_entropy'] = self.entropy_loss(w_hat)
        # Logged, not optimised: the share of addresses that shrinkage
        # zeroed entirely (their z_hat is 0). Near 1 means lambda is too high.
        losses['mem_empty'] = (w_hat.sum(dim=-1) == 0).float().mean().detach()
        return losses
