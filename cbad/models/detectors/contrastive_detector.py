"""The contrastive behaviour-anomaly detector of Tong & Wu (2026)."""
from typing import Dict, Iterable, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger

from cbad.registry import DETECTORS, MODELS
from cbad.structures import ClipDataSample, build_clip_index
from cbad.utils.fusion import FusedInferenceCopy
from ..dims import with_dims
from .base_detector import BaseAnomalyDetector
from cbad.structures.window_stream import check_stream_geometry
from .window_streams import ContrastiveStream

#: Scorer terms whose input is a video's window sequence, not single windows.
SEQUENCE_TERMS = ('T', )


@DETECTORS.register_module()
class ContrastiveDetector(BaseAnomalyDetector):
    """Spatio-temporal contrastive model scored against normal prototypes.

    Training (eq. 9-16): an original and a perturbed view of each clip go
    through the encoder f (per-frame appearance s_t, motion m_t, fusion u_t,
    eq. 3, 4, 11), the temporal aggregator (z, eq. 12) and the projection
    head g; the loss is ``L_ins`` on g(z) plus ``L_pro`` and ``L_tem`` on z.

    Scoring (eq. 17-21): z of every window of a video is compared with the
    normal training windows: Mahalanobis distance to the nearest of K
    prototypes (``D``), the second-order temporal residual along the video
    (``T``), the mean distance to the m nearest normal windows (``R``); each
    term is quantile-normalised on normal validation windows and fused into
    ``A``. The threshold ``delta`` (eq. 22-23) is fitted on ``A`` of the
    normal validation windows.

    Test-time speed: per-frame features are computed once per video (the
    encoder is window-independent per frame) and pooled over the windows,
    so a frame shared by 4 windows is encoded once, not 4 times.

    Args:
        encoder (dict): ``SpatioTemporalEncoder`` config (f).
        aggregator (dict): Aggregator config (eq. 12).
        head (dict): Projection head config (g).
        view_augment (dict, optional): ``ClipViewAugment`` config making the
            perturbed view (eq. 9). None: both views are the clip.
        speed_negative (dict, optional): ``SpeedNegative`` config (not in
            the paper): each long training clip gives its anchor and a
            sped-up copy, added to the instance loss as extra negatives.
            The training dataset then loads ``clip_len * max(speeds)``
            frames. Defaults to None (the paper).
        instance_loss (dict): ``InstanceContrastLoss`` config (eq. 13-14).
        prototype_loss (dict, optional): ``PrototypeTractionLoss`` config
            (eq. 10, 15); needs ``motion_group`` in the data samples.
        smoothness_loss (dict, optional): ``TemporalSmoothnessLoss`` config
            (eq. 16); needs neighbouring clips in a batch.
        scorers (dict): Term name -> scorer config, e.g. ``D``, ``T``, ``R``
            or ``C`` (centre distance, eq. 5).
        fusion (dict): ``WeightedScoreFusion`` config over the term names.
        clip_len (int): Window length at test time. Defaults to 16.
        stride (int): Window stride at test time and between training
            neighbours. Defaults to 4.
        score_space (str): ``'embedding'`` scores z, ``'projection'`` scores
            g(z). Defaults to ``'embedding'``.
        normalize (bool): L2-normalise the scored vectors. Defaults to True.
        chunk_size (int): Frames encoded at once at test time. Defaults to 64.
        grid (bool): Score a spatial grid of local embeddings and keep, per
            window, the largest fused score over the cells (needs encoder
            branches with ``pool='none'``). Training still uses the
            grid-averaged (global) embedding. Each term is normalised with
            one Q over all cells: per-cell normalisers blow up nearly empty
            cells. Defaults to False (the paper: one global embedding).
        bank_size (int, optional): Fit the scorers on at most this many
            normal embeddings (a seeded random subset) to bound the memory
            bank saved in checkpoints. Defaults to None (all).
        **kwargs: ``data_preprocessor``, ``thresholder`` (the rule fitted
            on validation ``A``), ``init_cfg`` of :class:`BaseAnomalyDetector`.

    Shape:
        - training inputs: (N, C, T, H, W) clips.
        - predict inputs: (1, C, L, H, W), a whole video of L frames
          (``sample_unit='video'`` datasets), or clips when no scorer needs
          window sequences.
    """

    #: Grad-CAM of the fused score on the frame features.
    response_map = 'gradcam'

    def __init__(self,
                 encoder: dict,
                 aggregator: dict,
                 head: dict,
                 view_augment: Optional[dict] = None,
                 speed_negative: Optional[dict] = None,
                 instance_loss: dict = dict(type='InstanceContrastLoss'),
                 prototype_loss: Optional[dict] = None,
                 smoothness_loss: Optional[dict] = None,
                 scorers: Optional[dict] = None,
                 fusion: Optional[dict] = None,
                 clip_len: int = 16,
                 stride: int = 4,
                 score_space: str = 'embedding',
                 normalize: bool = True,
                 chunk_size: int = 64,
                 grid: bool = False,
                 bank_size: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if score_space not in ('embedding', 'projection'):
            raise ValueError("score_space must be 'embedding' or "
                             f"'projection', got {score_space!r}")
        self.encoder = MODELS.build(encoder)
        # scoring runs a copy with each BatchNorm folded into its conv
        # (same outputs up to rounding, ~20% less encoder time)
        self._folded_encoder = FusedInferenceCopy()
        # every width after the encoder is the encoder's unless the config
        # gives one (cbad.models.dims)
        dim = self.encoder.out_dim
        self.aggregator = MODELS.build(with_dims(aggregator, dim=dim))
        self.head = MODELS.build(
            with_dims(head, in_dim=dim, hidden_dim=dim, out_dim=dim))
        self.view_augment = (
            MODELS.build(view_augment) if view_augment else None)
        self.speed_negative = (
            MODELS.build(speed_negative) if speed_negative else None)
        if (self.speed_negative is not None
                and self.speed_negative.clip_len != clip_len):
            raise ValueError(
                f'speed_negative.clip_len={self.speed_negative.clip_len} '
                f'must equal the detector clip_len={clip_len}.')
        self.instance_loss = MODELS.build(instance_loss)
        self.prototype_loss = (MODELS.build(with_dims(prototype_loss, dim=dim))
                               if prototype_loss else None)
        self.smoothness_loss = (
            MODELS.build(smoothness_loss) if smoothness_loss else None)
        scorers = scorers or dict(C=dict(type='CentreDistanceScorer'))
        self.scorers = torch.nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in scorers.items()})
        fusion = fusion or dict(
            type='WeightedScoreFusion',
            weights={name: 1.0 for name in scorers})
        self.fusion = MODELS.build(fusion)
        missing = set(self.fusion.active_terms) - set(self.scorers)
        if missing:
            raise ValueError(f'fusion weights name terms {sorted(missing)} '
                             f'that have no scorer; scorers: '
                             f'{sorted(self.scorers)}.')
        self.clip_len = clip_len
        self.stride = stride
        self.score_space = score_space
        self.normalize = normalize
        self.chunk_size = chunk_size
        self.grid = grid
        self.bank_size = bank_size
        branch_pool = getattr(self.encoder.spatial, 'pool', 'avg')
        if grid != (branch_pool == 'none'):
            raise ValueError(
                f'grid={grid} needs encoder branches with pool='
                f"{'none' if grid else 'avg'!r}, found pool={branch_pool!r}.")

    def scoring_encoder(self) -> torch.nn.Module:
        """The encoder to run now: in eval mode without gradients, a copy
        with each BatchNorm folded into its conv (:mod:`cbad.utils.fusion`,
        rebuilt whenever the weights change); otherwise the encoder."""
        if self.training or torch.is_grad_enabled():
            return self.encoder
        return self._folded_encoder.get(self.encoder)

    # ------------------------------------------------------------ training
    def embed_clips(self, clips: torch.Tensor) -> torch.Tensor:
        """z = Agg(f(x)) of clips (N, C, T, H, W) -> (N, D)."""
        u = self.scoring_encoder()(clips)
        if self.grid:
            u = u.mean(dim=(2, 3))  # N x T x gh x gw x D -> N x T x D
        return self.aggregator(u)

    @staticmethod
    def _meta_tensor(samples: List[ClipDataSample], key: str,
                     device: torch.device) -> torch.Tensor:
        values = []
        for sample in samples:
            if key not in sample:
                raise KeyError(
                    f'the data samples carry no {key!r}; '
                    + ('set motion_groups=dict(...) on the training dataset '
                       '(eq. 8) or drop prototype_loss.' if key ==
                       'motion_group' else 'pack it with PackClipInputs.'))
            values.append(int(sample.get(key)))
        return torch.tensor(values, dtype=torch.long, device=device)

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[List[ClipDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """The weighted loss terms of eq. 13-16 (weights in each loss)."""
        if data_samples is None:
            data_samples = [ClipDataSample(metainfo=dict(
                video_index=0, frame_indices=np.arange(inputs.shape[2]) +
                i * inputs.shape[2])) for i in range(len(inputs))]
        device = inputs.device
        video_ids = self._meta_tensor(data_samples, 'video_index', device)
        starts = torch.tensor(
            [int(np.asarray(s.frame_indices)[0]) for s in data_samples],
            dtype=torch.long, device=device)
        negatives, extra = None, None
        if self.speed_negative is not None:
            inputs, negatives = self.speed_negative(inputs)
        view_b = self.view_augment(inputs) if self.view_augment else inputs
        if negatives is None:
            z_a = self.embed_clips(inputs)  # N x D
        else:
            # one batch with the anchors: BatchNorm in train mode would
            # otherwise normalise away the larger frame differences of a
            # batch made only of sped-up clips
            z_both = self.embed_clips(torch.cat([inputs, negatives]))
            z_a, extra = z_both[:len(inputs)], self.head(
                z_both[len(inputs):])
        z_b = self.embed_clips(view_b)
        losses = dict(
            loss_ins=self.instance_loss(
                self.head(z_a), self.head(z_b), video_ids, starts,
                inputs.shape[2], extra_negatives=extra))
        if self.prototype_loss is not None:
            groups = self._meta_tensor(data_samples, 'motion_group', device)
            losses['loss_pro'] = self.prototype_loss(z_a, groups)
        if self.smoothness_loss is not None:
            losses['loss_tem'] = self.smoothness_loss(z_a, video_ids, starts,
                                                      self.stride)
        return losses

    # ------------------------------------------------------------- scoring
    def _scored_space(self, z: torch.Tensor) -> torch.Tensor:
        if self.score_space == 'projection':
            z = self.head(z)
        return F.normalize(z, dim=-1) if self.normalize else z

    def frame_features(self, frames: torch.Tensor,
                       previous: Optional[torch.Tensor] = None
                       ) -> torch.Tensor:
        """Per-frame features u (n, D) (or (n, gh, gw, D) in grid mode) of
        consecutive frames (C, n, H, W) of one video; ``previous`` (C, H, W)
        is the frame before them (None at the video's start), which the
        temporal branch differences the first frame against."""
        return self.scoring_encoder().encode_frames(
            frames[None], None if previous is None else previous[None])[0]

    def window_embeddings(self, u: torch.Tensor) -> torch.Tensor:
        """Scored vectors (S, D) of windows from their frames' features
        (S, T, D): aggregation (eq. 6), then the scored space."""
        return self._scored_space(self.aggregator(u))

    @torch.no_grad()
    def embed_video(self, frames: torch.Tensor):
        """Scored vectors of every window of one video.

        Args:
            frames (Tensor): (C, L, H, W), one normalised video.

        Returns:
            tuple: ``(z, windows)`` with z (S, D) and windows (S, T) int64.
        """
        length = frames.shape[1]
        windows = np.stack(build_clip_index(length, self.clip_len,
                                            self.stride))  # S x T
        chunks, prev = [], None
        for start in range(0, length, self.chunk_size):
            chunk = frames[:, start:start + self.chunk_size]
            chunks.append(self.frame_features(chunk, prev))
            prev = chunk[:, -1]
        u = torch.cat(chunks)  # L x D (or L x gh x gw x D), once per frame
        index = torch.as_tensor(windows, device=u.device)
        u = u[index]  # S x T x ... x D
        if not self.grid:
            return self.window_embeddings(u), windows  # S x D
        s, t, gh, gw, d = u.shape
        cells = u.permute(0, 2, 3, 1, 4).reshape(s * gh * gw, t, d)
        z = self.aggregator(cells).view(s, gh * gw, d)  # S x cells x D
        return self._scored_space(z), windows

    def window_score(self, z: Dict[int, torch.Tensor], index: int,
                     known: int) -> float:
        """Fused score ``A`` of window ``index`` from the embeddings ``z``
        (window index -> (D,)) of a video with ``known`` windows so far.

        ``T`` reads the triple centred on the window (the first and last
        windows take the first and last triple's, :func:`score_terms`'s end
        rule); with fewer than three windows it is 0. ``z`` must hold the
        triple's windows.
        """
        terms = {}
        own = z[index]
        for name, scorer in self.scorers.items():
            if name not in SEQUENCE_TERMS:
                terms[name] = scorer(own[None]).reshape(1)
            elif known < 3:  # no triple: the scorer's rule gives 0
                terms[name] = own.new_zeros(1)
            else:
                centre = min(max(index, 1), known - 2)
                triple = torch.stack([z[centre + k] for k in (-1, 0, 1)])
                terms[name] = scorer(triple)[1:2]
        return float(self.fusion(terms)[0])

    def score_terms(self, z: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Raw score of every term for one video's windows.

        Args:
            z (Tensor): (S, D), or (S, cells, D) in grid mode.

        Returns:
            dict: term -> (S,), or (S, cells) in grid mode.
        """
        if z.dim() == 2:
            return {name: scorer(z).reshape(-1)
                    for name, scorer in self.scorers.items()}
        s, cells, d = z.shape
        terms = {}
        for name, scorer in self.scorers.items():
            if name in SEQUENCE_TERMS:  # along time, per cell
                terms[name] = scorer(z.transpose(0, 1)).transpose(0, 1)
            else:
                terms[name] = scorer(z.reshape(s * cells, d)).view(s, cells)
        return terms

    def predict_frame_scores(self, inputs, data_samples=None):
        raise NotImplementedError(
            'ContrastiveDetector scores whole videos: use predict().')

    @torch.no_grad()
    def predict(self, inputs, data_samples=None) -> List[ClipDataSample]:
        """Score every window of each video: fused ``A`` plus the raw terms.

        Each returned sample carries ``frame_indices`` (S, T), ``pred_scores``
        (S,) and ``pred_terms_<name>`` (S,) for per-term analysis.
        """
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs)
        if data_samples is None:
            data_samples = [ClipDataSample() for _ in inputs]
        threshold = self.threshold_metainfo()
        for frames, sample in zip(inputs, data_samples):
            z, windows = self.embed_video(frames)
            terms = self.score_terms(z)
            scores = self.fusion(terms)
            if self.grid:  # the most anomalous cell decides; terms likewise
                scores = scores.amax(dim=1)
                terms = {k: v.amax(dim=1) for k, v in terms.items()}
            sample.pred_scores = scores.float().cpu()
            for name, value in terms.items():
                sample.set_field(value.float().cpu(), f'pred_terms_{name}')
            sample.set_metainfo(dict(frame_indices=windows,
                                     num_frames=frames.shape[1],
                                     **threshold))
        return data_samples

    def stream_scorer(self, clip_len: Optional[int] = None,
                      stride: Optional[int] = None, reduce: str = 'mean',
                      whole_video: bool = True) -> ContrastiveStream:
        """A scorer of live frames with :meth:`score_video`'s scores
        (:class:`~.window_streams.ContrastiveStream`); the windows are the
        model's own (``clip_len`` and ``stride`` must match them when
        given)."""
        self._check_geometry(clip_len, stride)
        check_stream_geometry(self.clip_len, self.stride, reduce)
        if self.grid or not whole_video:
            raise NotImplementedError(
                f'{type(self).__name__} '
                f"{'in grid mode ' if self.grid else 'on clips '}"
                'is scored offline only.')
        return ContrastiveStream(self, reduce)

    def stream_latency(self, clip_len: Optional[int] = None,
                       stride: Optional[int] = None,
                       whole_video: bool = True) -> Optional[int]:
        """``T`` needs the next window: ``clip_len + 2 * stride - 1``."""
        self._check_geometry(clip_len, stride)
        return self.clip_len + 2 * self.stride - 1

    def _check_geometry(self, clip_len: Optional[int],
                        stride: Optional[int]) -> None:
        for name, value in (('clip_len', clip_len), ('stride', stride)):
            if value is not None and int(value) != getattr(self, name):
                raise ValueError(
                    f'{type(self).__name__} scores its own windows '
                    f'({name}={getattr(self, name)}), got {name}={value}.')

    # ------------------------------------------------------------- fitting
    fitted_on_training_normals = 'its prototypes and memory bank'
    fits_normalizers = True

    def fitting_features(self, frames: torch.Tensor,
                         sample: Optional[ClipDataSample] = None
                         ) -> torch.Tensor:
        """The scored vectors of one video's windows, (S, D) (or (S, cells,
        D) in grid mode)."""
        return self.embed_video(frames)[0]

    def fit_scorers(self, per_video: List[torch.Tensor]) -> None:
        """Fit every scorer on the normal training windows (eq. 17-20)."""
        if self.grid:
            # T needs window sequences and is not fitted; the others see
            # every cell of every window.
            per_video = [z.reshape(-1, z.shape[-1]) for z in per_video]
        bank = self.subsample_bank(torch.cat(per_video), self.bank_size)
        for scorer in self.scorers.values():
            scorer.fit(bank)
        MMLogger.get_current_instance().info(
            f'Fitted scorers {sorted(self.scorers)} on {len(bank)} normal '
            'training windows.')

    def fit_normalizers(self, per_video: List[torch.Tensor]) -> None:
        """Fit each term's quantile normaliser Q on validation windows."""
        per_video = [self.score_terms(z) for z in per_video]
        terms = {name: torch.cat([t[name].reshape(-1) for t in per_video])
                 for name in self.scorers}
        self.fusion.fit(terms)
