"""The data sample that travels with one clip through pipeline, model and metric."""
from mmengine.structures import BaseDataElement


class ClipDataSample(BaseDataElement):
    """Metadata, labels and predictions of one clip (one sliding window).

    Metainfo keys (set by :class:`~cbad.datasets.transforms.PackClipInputs`):

    - ``video`` (str): the video's name (its frame folder or file stem).
    - ``video_index`` (int): position of the video in the dataset.
    - ``frame_indices`` (np.ndarray): the T frame ids of the clip, 0-based;
      repeated at the end when a video is shorter than a clip.
    - ``num_frames`` (int): length of the whole video.
    - ``pred_threshold`` (float): the fitted decision threshold, set by the
      detector's ``predict`` (nan if the model has not been fitted).
    - ``threshold_fit_windows``, ``threshold_fit_videos`` (int): how many
      normal validation windows, from how many videos, it was fitted on
      (-1 if unknown), also set by ``predict``.

    Data fields:

    - ``gt_labels`` (Tensor, shape (T,)): per-frame 0/1 labels of the clip
      (test splits only).
    - ``pred_scores`` (Tensor, shape (T,)): per-frame anomaly evidence the
      model assigns to the clip's frames (a clip-level score is broadcast).

    Whole-video samples (``sample_unit='video'`` datasets, scored by
    detectors that pool per-frame features over windows) carry
    ``frame_indices`` of shape (S, T) for the S windows of the video and
    ``pred_scores`` of shape (S,) or (S, T).
    """
