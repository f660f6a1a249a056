"""Detectors that score a clip by how badly they reconstruct it (Conv-AE)."""
from typing import Dict, List, Optional

import torch

from cbad.registry import DETECTORS, MODELS
from cbad.structures import ClipDataSample
from ..dims import with_dims
from .base_detector import BaseAnomalyDetector


@DETECTORS.register_module()
class ReconstructionDetector(BaseAnomalyDetector):
    """Encoder + decoder trained to reconstruct normal clips.

    With :class:`ConvAEEncoder` / :class:`ConvAEDecoder` this is the Conv-AE
    of Hasan et al. (CVPR 2016): frames a normal model reconstructs badly are
    anomalous.

    Args:
        encoder (dict): ``ENCODERS`` config.
        decoder (dict): ``HEADS`` config; called as ``decoder(code, out_size)``.
            Its ``channels`` (and ``out_frames``) are the encoder's
            ``channels`` (``in_frames``) where the config leaves them out,
            so a config sets the widths once.
        loss (dict): ``LOSSES`` config, called as ``loss(pred, target)``.
        scorer (dict): ``SCORERS`` config mapping (pred, target) to (N, T).
        **kwargs: ``data_preprocessor``, ``thresholder``, ``init_cfg`` of
            :class:`BaseAnomalyDetector`.

    Shape:
        - inputs: (N, C, T, H, W) normalised clips.
    """

    #: Squared reconstruction error of each frame.
    response_map = 'reconstruction_error'

    def __init__(self,
                 encoder: dict,
                 decoder: dict,
                 loss: dict = dict(type='ReconstructionLoss'),
                 scorer: dict = dict(type='ReconstructionErrorScorer'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.encoder = MODELS.build(encoder)
        widths = {name: getattr(self.encoder, attr)
                  for name, attr in (('channels', 'channels'),
                                     ('out_frames', 'in_frames'))
                  if hasattr(self.encoder, attr)}
        self.decoder = MODELS.build(with_dims(decoder, **widths))
        self.loss_module = MODELS.build(loss)
        self.scorer = MODELS.build(scorer)

    def reconstruct(self, inputs: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``inputs``, same shape."""
        return self.decoder(self.encoder(inputs), inputs.shape[-2:])

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[List[ClipDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        return dict(loss_rec=self.loss_module(self.reconstruct(inputs), inputs))

    def predict_frame_scores(
            self, inputs: torch.Tensor,
            data_samples: Optional[List[ClipDataSample]] = None
    ) -> torch.Tensor:
        return self.scorer(self.reconstruct(inputs), inputs)  # N x T
