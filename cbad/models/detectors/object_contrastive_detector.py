"""The contrastive detector of Tong & Wu (2026) on object tubes."""
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import MMLogger

from cbad.proposals import TubeExtractor, VideoTubes
from cbad.registry import DETECTORS, POSTPROCESSORS
from cbad.structures import ClipDataSample
from .contrastive_detector import ContrastiveDetector
from .object_stream import ObjectStreamScorer

#: Scorer terms fed the tubes' motion attributes instead of embeddings.
ATTRIBUTE_TERMS = ('M', )


@DETECTORS.register_module()
class ObjectContrastiveDetector(ContrastiveDetector):
    """The paper's model with a behaviour segment of one moving object as
    its unit (docs/model_cbad.md, "object-centric unit").

    A video's moving regions are found causally (``tubes.proposer``), linked
    by an IoU tracker and cut into tubes: per window of ``clip_len`` frames
    every ``stride``, one tube per region of the window's anchor frame, a
    box following the region over the window, resized to ``crop_size``
    (:class:`~cbad.proposals.TubeExtractor`, shared with the training
    dataset :class:`~cbad.datasets.TubeDataset`).

    Training is the parent's (eq. 9-16) on tubes: negatives are other tubes,
    other objects of the same window included; a tube's own overlapping
    tubes (same track, overlapping windows) are masked out of them (the
    same-video mask of ``InstanceContrastLoss`` keyed by (video, track));
    the smoothness loss pairs consecutive tubes of one *track*; motion
    groups (eq. 8) come from the flow inside the tube.

    Scoring: each tube gets the parent's terms on its embedding (``D``,
    ``R``; ``T`` along its track's consecutive tubes) and, for terms named
    in :data:`ATTRIBUTE_TERMS` (``M``, a :class:`MotionAttributeScorer`), on
    its motion attributes; the fusion's quantile normalisers make them
    comparable. A window's score is the largest over its tubes; a window
    with no tube (nothing moves at its anchor frame) gets the normal floor
    ``empty_window_score``, the smallest fused score of the normal
    validation tubes. Frames then take the metric's clip-to-frame reduction
    (``'max'`` in the configs: a frame's score is the max over the tubes
    covering it), so every frame still gets exactly one score.

    A registered causal post-processing step (``postprocess``, e.g.
    ``dict(type='TrailingMean', length=8)``, :mod:`cbad.postprocessing`)
    may then smooth each video's frame scores; the threshold is fitted on
    the smoothed validation scores, and the scores before it travel along
    (``pred_scores_before_postprocess``) so ``metrics.json`` reports both.

    Args:
        tubes (dict): :class:`~cbad.proposals.TubeExtractor` arguments
            (without ``clip_len``/``stride``, which are the detector's).
        tube_batch (int): Tubes encoded at once. Defaults to 256.
        postprocess (dict, optional): A :data:`~cbad.registry.POSTPROCESSORS`
            config applied to each video's frame scores. Defaults to None.
        tube_input (str): What the encoder sees of a tube: ``'grey'`` (the
            crops) or ``'difference'`` (each crop minus the previous one,
            zeros for the first: the static background cancels, the moving
            object stays). Training and scoring both. Defaults to
            ``'grey'``.
        **kwargs: :class:`ContrastiveDetector` arguments (``grid`` and
            ``speed_negative`` are not supported).

    Shape:
        - training inputs: (N, C, T, S, S) tube crops.
        - predict inputs: (1, L, H, W) whole grey videos, normalised by the
          data preprocessor (the proposals see them back in 0-255).
    """

    #: Its response maps come from the tubes, whose proposals, background
    #: and tracks start at the video's first frame: an annotated video maps
    #: the whole video in one call.
    maps_need_whole_video = True
    #: Each tube's box lit by its score (:meth:`tube_maps`).
    response_map = 'tube_boxes'
    #: It crops raw frames and normalises only the crops.
    accepts_raw_videos = True

    #: Each frame reads its own window's score, which only the ``'max'``
    #: clip -> frame reduction does right (``'mean'`` would average the
    #: floor of the other windows in).
    supported_clip_to_frame = ('max', )

    def __init__(self, tubes: dict, tube_batch: int = 256,
                 postprocess: Optional[dict] = None,
                 tube_input: str = 'grey', **kwargs) -> None:
        if tube_input not in ('grey', 'difference'):
            raise ValueError("tube_input must be 'grey' or 'difference', got "
                             f'{tube_input!r}.')
        if kwargs.get('grid') or kwargs.get('speed_negative'):
            raise ValueError('ObjectContrastiveDetector supports neither '
                             'grid nor speed_negative.')
        if tubes.get('anchor', 'last') != 'last':
            raise ValueError(
                "ObjectContrastiveDetector maps a tube's score to the frames "
                "up to its anchor, so it needs tubes.anchor='last', got "
                f"{tubes['anchor']!r}.")
        super().__init__(**kwargs)
        self.extractor = TubeExtractor(
            clip_len=self.clip_len, stride=self.stride, **tubes)
        self.tube_batch = tube_batch
        self.tube_input = tube_input
        self.postprocess = (POSTPROCESSORS.build(postprocess)
                            if postprocess else None)
        self.register_buffer('empty_window_score', torch.tensor(float('nan')))

    @property
    def is_fitted(self) -> bool:
        return bool(super().is_fitted
                    and not torch.isnan(self.empty_window_score))

    def embed_clips(self, clips: torch.Tensor) -> torch.Tensor:
        """z of tubes (N, C, T, S, S), as ``tube_input`` says."""
        if self.tube_input == 'difference':
            clips = torch.cat([torch.zeros_like(clips[:, :, :1]),
                               clips[:, :, 1:] - clips[:, :, :-1]], dim=2)
        return super().embed_clips(clips)

    # ------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[List[ClipDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """Eq. 13-16 on a batch of tubes (weights in each loss)."""
        if data_samples is None:
            raise ValueError('ObjectContrastiveDetector.loss needs the tube '
                             'data samples (TubeDataset + PackTubeInputs).')
        device = inputs.device
        video_ids = self._meta_tensor(data_samples, 'video_index', device)
        starts = torch.tensor(
            [int(np.asarray(s.frame_indices)[0]) for s in data_samples],
            dtype=torch.long, device=device)
        keys = self._track_keys(data_samples, video_ids, device)
        view_b = self.view_augment(inputs) if self.view_augment else inputs
        z_a = self.embed_clips(inputs)  # N x D
        z_b = self.embed_clips(view_b)
        # a tube's own overlapping tubes (same track, overlapping windows)
        # are masked out of its negatives; other objects stay negatives
        losses = dict(loss_ins=self.instance_loss(
            self.head(z_a), self.head(z_b), keys, starts, inputs.shape[2]))
        if self.prototype_loss is not None:
            groups = self._meta_tensor(data_samples, 'motion_group', device)
            losses['loss_pro'] = self.prototype_loss(z_a, groups)
        if self.smoothness_loss is not None:
            # neighbours are consecutive tubes of one track
            losses['loss_tem'] = self.smoothness_loss(z_a, keys, starts,
                                                      self.stride)
        return losses

    def _track_keys(self, data_samples: List[ClipDataSample],
                    video_ids: torch.Tensor,
                    device: torch.device) -> torch.Tensor:
        """One id per (video, track) pair, the unit the instance loss masks
        overlaps of and the smoothness loss pairs along; an untracked tube
        (-1) is a track of its own, not one with every other untracked
        tube of its video."""
        tracks = self._meta_tensor(data_samples, 'track_id', device)
        keys = video_ids * (int(tracks.max()) + 2) + tracks + 1
        own = -1 - torch.arange(len(keys), device=device)
        return torch.where(tracks >= 0, keys, own)

    # ------------------------------------------------------------- scoring
    def _grey_frames(self, frames: torch.Tensor) -> np.ndarray:
        """(1, L, H, W) video -> (L, H, W) uint8: as it is when uint8 (the
        data preprocessor's ``raw_predict_inputs``), else the inverse of
        the preprocessor's normalisation."""
        if frames.dim() != 4 or frames.shape[0] != 1:
            raise ValueError('ObjectContrastiveDetector scores grey videos '
                             f'(1, L, H, W); got {tuple(frames.shape)}. Use '
                             'LoadClipFrames(to_gray=True).')
        if frames.dtype == torch.uint8:
            return frames[0].cpu().numpy()
        preprocessor = self.data_preprocessor
        x = frames[0].float()
        if getattr(preprocessor, '_normalize', False):
            x = x * preprocessor.std.view(-1)[0] + preprocessor.mean.view(
                -1)[0]
        return x.round().clamp(0, 255).to(torch.uint8).cpu().numpy()

    def _normalised_crops(self, crops: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(crops).float().unsqueeze(1)  # N x 1 x T x S x S
        preprocessor = self.data_preprocessor
        if getattr(preprocessor, '_normalize', False):
            x = (x - preprocessor.mean.view(-1)[0]) / preprocessor.std.view(
                -1)[0]
        return x.to(self.empty_window_score.device)

    @torch.no_grad()
    def embed_tubes(self, video: VideoTubes) -> torch.Tensor:
        """Scored vectors (N, D) of a video's tubes."""
        if len(video) == 0:
            dim = (self.head.out_dim if self.score_space == 'projection' else
                   self.head.in_dim)
            return self.empty_window_score.new_zeros(0, dim)
        z = [self._scored_space(self.embed_clips(self._normalised_crops(
            video.crops[i:i + self.tube_batch])))
             for i in range(0, len(video), self.tube_batch)]
        return torch.cat(z)

    @torch.no_grad()
    def tube_terms(self, video: VideoTubes,
                   z: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Raw score of every term for each tube of one video: (N,) each."""
        attributes = torch.from_numpy(video.attributes).to(z.device)
        terms = {}
        for name, scorer in self.scorers.items():
            if len(video) == 0:
                terms[name] = z.new_zeros(0)
            elif name in ATTRIBUTE_TERMS:
                terms[name] = scorer(attributes)
            elif name == 'T':
                terms[name] = self._along_tracks(scorer, video, z)
            else:
                terms[name] = scorer(z).reshape(-1)
        return terms

    @staticmethod
    def _along_tracks(scorer, video: VideoTubes,
                      z: torch.Tensor) -> torch.Tensor:
        """A sequence term (``T``) over each track's tubes in window order;
        an untracked tube is a sequence of its own (score 0)."""
        out = z.new_zeros(len(video))
        groups: Dict[int, List[int]] = defaultdict(list)
        for i, track in enumerate(video.track_ids):
            groups[int(track) if track >= 0 else -1 - i].append(i)
        for members in groups.values():
            members = sorted(members, key=lambda i: video.window_index[i])
            out[members] = scorer(z[members])
        return out

    @torch.no_grad()
    def score_tubes(self, frames: torch.Tensor
                    ) -> Tuple[VideoTubes, Dict[str, torch.Tensor],
                               torch.Tensor]:
        """One video's tubes, each tube's raw terms and its fused ``A``.

        Args:
            frames (Tensor): (1, L, H, W), one normalised grey video.

        Returns:
            tuple: ``(video, terms, fused)``; terms and fused (N,) per tube.
        """
        video = self.extractor(self._grey_frames(frames))
        z = self.embed_tubes(video)
        terms = self.tube_terms(video, z)
        fused = self.fusion(terms) if len(video) else z.new_zeros(0)
        return video, terms, fused

    def _window_max(self, values: torch.Tensor, video: VideoTubes,
                    empty: float) -> torch.Tensor:
        """(S,) largest value over each window's tubes, ``empty`` if none."""
        out = torch.full((len(video.windows), ), float('-inf'))
        if len(video):
            index = torch.from_numpy(video.window_index)
            out = out.scatter_reduce(0, index, values.float().cpu(), 'amax')
        out[torch.isinf(out)] = empty
        # nothing scores below the floor: otherwise a low window would keep
        # its value only where no other window covers its frames (a video's
        # first and last frames) and be lifted to the floor elsewhere
        return out.clamp_(min=empty)

    @staticmethod
    def _own_frames(windows: np.ndarray) -> np.ndarray:
        """(S, T) bool: the frames a window's tubes speak for.

        A tube is cut around its anchor, the window's last frame: it
        describes the object up to there. So a window speaks for the frames
        after the previous window's last frame up to its own (``stride``
        frames; the first window for all its frames, the end-aligned last
        one for those after its predecessor), never for earlier frames that
        another window already ended on. Every frame belongs to exactly one
        window, and its score is final once that window has been seen.
        """
        own = np.zeros(windows.shape, bool)
        previous_end = -1
        for w, frames in enumerate(windows):
            own[w] = frames > previous_end
            previous_end = max(previous_end, int(frames.max()))
        return own

    def _frame_evidence(self, window_values: torch.Tensor, own: np.ndarray,
                        floor: float) -> torch.Tensor:
        """(S, T) evidence: the window's value on its own frames, the floor
        elsewhere (a max over windows then gives every frame its own
        window's value)."""
        values = window_values.view(-1, 1).expand(own.shape).clone()
        values[~torch.from_numpy(own)] = floor
        return values

    @classmethod
    def frame_values(cls, window_values: np.ndarray, windows: np.ndarray,
                     num_frames: int) -> np.ndarray:
        """(L,) each frame's own window's value (:meth:`_own_frames`): the
        frame scores the ``'max'`` reduction reads off the evidence."""
        own = cls._own_frames(windows)
        out = np.empty(num_frames)
        out[windows[own]] = np.broadcast_to(
            np.asarray(window_values, np.float64).reshape(-1, 1),
            windows.shape)[own]
        return out

    def _postprocessed(self, evidence: torch.Tensor,
                       window_values: torch.Tensor, windows: np.ndarray,
                       own: np.ndarray, num_frames: int) -> torch.Tensor:
        """The evidence with ``postprocess`` applied to the frame scores it
        gives (each frame's own window's value), in the same layout; values
        stay >= the floor, so the ``'max'`` reduction reads them back."""
        frames = self.frame_values(window_values.numpy(), windows, num_frames)
        smoothed = torch.from_numpy(self.postprocess(frames)).to(evidence)
        out = evidence.clone()
        mask = torch.from_numpy(own)
        out[mask] = smoothed[torch.from_numpy(windows)[mask]]
        return out

    @torch.no_grad()
    def predict(self, inputs, data_samples=None) -> List[ClipDataSample]:
        """Score every window of each video from its tubes.

        Each returned sample carries ``frame_indices`` (S, T) windows and
        per-frame evidence ``pred_scores`` (S, T): the largest fused ``A``
        over the window's tubes (the floor for a window without tubes) on
        the frames the window speaks for (:meth:`_own_frames`), the floor on
        the others, so the metric's ``clip_to_frame='max'`` gives each frame
        the score of the tubes anchored on it or just after it.
        ``pred_terms_<name>`` (S, T) likewise with the raw terms (floor 0),
        and per tube ``pred_tube_scores`` (N,) with metainfo
        ``tube_window_index`` (N,) and ``tube_boxes`` (N, 4) (each tube's box
        in its anchor frame, frame pixels).
        """
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs)
        if data_samples is None:
            data_samples = [ClipDataSample() for _ in inputs]
        threshold = self.threshold_metainfo()
        floor = float(self.empty_window_score)
        for frames, sample in zip(inputs, data_samples):
            video, terms, fused = self.score_tubes(frames)
            own = self._own_frames(video.windows)
            window_values = self._window_max(fused, video, floor)
            sample.pred_scores = self._frame_evidence(window_values, own,
                                                      floor)
            if self.postprocess is not None:
                sample.pred_scores_before_postprocess = sample.pred_scores
                sample.pred_scores = self._postprocessed(
                    sample.pred_scores, window_values, video.windows, own,
                    video.num_frames)
            for name, value in terms.items():
                sample.set_field(
                    self._frame_evidence(
                        self._window_max(value, video, 0.0), own, 0.0),
                    f'pred_terms_{name}')
            sample.pred_tube_scores = fused.float().cpu()
            boxes = np.asarray([t.boxes[t.anchor - t.start]
                                for t in video.tubes],
                               np.float32).reshape(-1, 4)
            sample.set_metainfo(dict(frame_indices=video.windows,
                                     num_frames=video.num_frames,
                                     postprocess=repr(self.postprocess)
                                     if self.postprocess else 'none',
                                     tube_window_index=video.window_index,
                                     tube_boxes=boxes,
                                     **threshold))
        return data_samples

    def stream_scorer(self, clip_len: Optional[int] = None,
                      stride: Optional[int] = None, reduce: str = 'max',
                      whole_video: bool = True) -> 'ObjectStreamScorer':
        """A scorer that takes a video a few frames at a time and returns
        the frame scores :meth:`predict` gives the whole video, each once it
        is final (:class:`~.object_stream.ObjectStreamScorer`; tubes, tracks
        and ``T``'s wait for a track's next tubes). Each frame gets its own
        window's score (the ``'max'`` rule), whatever ``reduce`` says."""
        self._check_geometry(clip_len, stride)
        return ObjectStreamScorer(self)

    def stream_latency(self, clip_len: Optional[int] = None,
                       stride: Optional[int] = None,
                       whole_video: bool = True) -> Optional[int]:
        """None: a window waits for ``T`` until its track's next tubes or
        its end, which has no bound."""
        self._check_geometry(clip_len, stride)
        return None

    @torch.no_grad()
    def tube_maps(self, frames: torch.Tensor) -> torch.Tensor:
        """Where the model responds: each tube's box filled with its fused
        score above the normal floor, on the frames it speaks for (the
        frames its score goes to), the largest where boxes overlap.

        Args:
            frames (Tensor): (1, L, H, W), one normalised grey video.

        Returns:
            Tensor: (L, H, W) float maps, 0 where no tube responds.
        """
        video, _, fused = self.score_tubes(frames)
        fused = fused.float().cpu()
        maps = torch.zeros(frames.shape[1:])
        height, width = maps.shape[-2:]
        own = self._own_frames(video.windows)
        floor = float(self.empty_window_score)
        for n, tube in enumerate(video.tubes):
            value = max(float(fused[n]) - floor, 0.0)
            w = video.window_index[n]
            for position, t in enumerate(video.windows[w]):
                if not own[w][position]:
                    continue
                x0, y0, x1, y1 = np.round(tube.boxes[position]).astype(int)
                x0, x1 = np.clip([x0, x1], 0, width)
                y0, y1 = np.clip([y0, y1], 0, height)
                region = maps[t, y0:y1, x0:x1]
                region.clamp_(min=value)
        return maps

    # ------------------------------------------------------------- fitting
    fitted_on_training_normals = 'its prototypes and memory banks'

    def fitting_features(self, frames: torch.Tensor,
                         sample: Optional[ClipDataSample] = None
                         ) -> Tuple[VideoTubes, torch.Tensor]:
        """One video's tubes and their scored vectors (N, D)."""
        video = self.extractor(self._grey_frames(frames))
        return video, self.embed_tubes(video)

    @staticmethod
    def _check_tubes(videos: List[Tuple[VideoTubes, torch.Tensor]]) -> None:
        if not sum(len(video) for video, _ in videos):
            raise ValueError(
                'No tube in any fitting video: the proposals found nothing '
                'moving. Check the proposer settings (min_area, thresholds) '
                'against the footage.')

    def fit_scorers(self, videos: List[Tuple[VideoTubes, torch.Tensor]]
                    ) -> None:
        """Fit every scorer on the normal training tubes (eq. 17-20)."""
        self._check_tubes(videos)
        bank = torch.cat([z for _, z in videos])
        attributes = torch.from_numpy(
            np.concatenate([video.attributes for video, _ in videos]))
        keep = self.subsample_bank(torch.arange(len(bank)), self.bank_size)
        for name, scorer in self.scorers.items():
            scorer.fit(attributes[keep] if name in ATTRIBUTE_TERMS else
                       bank[keep])
        MMLogger.get_current_instance().info(
            f'Fitted scorers {sorted(self.scorers)} on {len(keep)} normal '
            f'training tubes from {len(videos)} videos.')

    def fit_normalizers(self, videos: List[Tuple[VideoTubes, torch.Tensor]]
                        ) -> None:
        """Fit each term's Q on the validation tubes, then the floor of a
        window without tubes (the smallest fused validation score)."""
        self._check_tubes(videos)
        per_video = [self.tube_terms(video, z) for video, z in videos]
        terms = {name: torch.cat([t[name] for t in per_video])
                 for name in self.scorers}
        self.fusion.fit(terms)
        self.empty_window_score.fill_(float(self.fusion(terms).min()))
