"""Hand-crafted motion descriptor: grid histograms of Farneback flow."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch import nn

from cbad.proposals.optical_flow import FARNEBACK_PARAMS, dense_flow
from cbad.registry import ENCODERS

NORMALIZATIONS = ('none', 'l1', 'l2')
#: BGR -> grey weights of ``cv2.COLOR_BGR2GRAY`` (ITU-R BT.601).
_BGR_WEIGHTS = (0.114, 0.587, 0.299)


@ENCODERS.register_module()
class FlowHistogramEncoder(nn.Module):
    """Per-cell histograms of optical-flow orientation and magnitude.

    The "traditional feature method" of the VAD literature, in its simplest
    form. For every pair of consecutive frames, OpenCV's Farneback flow
    (with :data:`~cbad.proposals.optical_flow.FARNEBACK_PARAMS`, the
    same flow as the motion groups of eq. 8) is computed on the input grid
    and summarised per cell of a ``grid`` of (rows, cols) cells:

    - ``orientation_bins`` bins of the flow direction, bin j centred on the
      angle 2 pi j / orientation_bins in image coordinates (0: +x, right;
      pi / 2: +y, down), each holding the *summed magnitude* of the cell's
      pixels with that direction divided by the cell's pixel count (so a
      bin is the mean displacement, in pixels per frame, in that
      direction);
    - ``len(magnitude_edges)`` bins of the magnitude: the fraction of the
      cell's pixels whose magnitude lies in ``[edges[i], edges[i+1])`` (the
      last bin is open-ended).

    Pixels moving less than ``noise_floor`` (sensor noise, compression)
    count in no bin, so a static cell -- and a static clip -- is exactly the
    zero vector. A window's descriptor is the mean over its frame pairs
    (frames repeated by end-of-video padding add no pair), then optionally
    normalised per cell.

    The encoder has no parameters and runs in numpy/OpenCV on the CPU; the
    result is moved to the input's device.

    Args:
        grid (tuple[int, int]): (rows, cols) of the spatial grid. Defaults
            to (4, 6).
        orientation_bins (int): Direction bins over [0, 2 pi). Defaults
            to 8.
        magnitude_edges (Sequence[float]): Increasing lower edges, in pixels
            per frame on the flow grid, of the magnitude bins; the first
            edge should be ``noise_floor``. Defaults to (0.3, 1.0, 2.0, 4.0).
        noise_floor (float): Pixels whose flow magnitude is below this (in
            pixels of the flow grid) count as static. Defaults to 0.3.
        normalize (str): Per-cell normalisation of a window descriptor:
            ``'none'`` (keep absolute motion amounts), ``'l1'`` or ``'l2'``
            (keep only the shape of the histogram); an all-zero cell stays
            zero. Defaults to ``'none'``.
        flow_size (tuple[int, int], optional): (H, W) the grey frames are
            resized to before the flow (area interpolation); None computes
            the flow on the input grid (resize in the pipeline instead).
            Defaults to None.
        flow_params (dict, optional): Farneback parameters overriding
            ``FARNEBACK_PARAMS``. Defaults to None.

    Shape:
        - forward input: (N, C, T, H, W), intensities on the 0-255 scale
          (C = 1 grey, or 3 BGR converted with OpenCV's weights).
        - forward output: (N, cells, B), cells = rows * cols,
          B = orientation_bins + len(magnitude_edges).
    """

    def __init__(self,
                 grid: Tuple[int, int] = (4, 6),
                 orientation_bins: int = 8,
                 magnitude_edges: Sequence[float] = (0.3, 1.0, 2.0, 4.0),
                 noise_floor: float = 0.3,
                 normalize: str = 'none',
                 flow_size: Optional[Tuple[int, int]] = None,
                 flow_params: Optional[dict] = None) -> None:
        super().__init__()
        if len(grid) != 2 or min(grid) < 1:
            raise ValueError(f'grid must be (rows, cols) >= 1, found {grid}.')
        if orientation_bins < 1:
            raise ValueError('orientation_bins must be >= 1, found '
                             f'{orientation_bins}.')
        edges = np.asarray(magnitude_edges, np.float32)
        if edges.ndim != 1 or edges.size == 0 or np.any(np.diff(edges) <= 0):
            raise ValueError('magnitude_edges must be a non-empty increasing '
                             f'sequence, found {magnitude_edges}.')
        if normalize not in NORMALIZATIONS:
            raise ValueError(f'normalize must be one of {NORMALIZATIONS}, '
                             f'found {normalize!r}.')
        self.grid = (int(grid[0]), int(grid[1]))
        self.orientation_bins = int(orientation_bins)
        self.magnitude_edges = edges
        self.noise_floor = float(noise_floor)
        self.normalize = normalize
        self.flow_size = tuple(flow_size) if flow_size is not None else None
        self.flow_params = dict(FARNEBACK_PARAMS, **(flow_params or {}))

    @property
    def num_cells(self) -> int:
        return self.grid[0] * self.grid[1]

    @property
    def num_bins(self) -> int:
        """B, the length of one cell's descriptor."""
        return self.orientation_bins + len(self.magnitude_edges)

    # --------------------------------------------------------------- frames
    def _grey_frames(self, frames: torch.Tensor) -> np.ndarray:
        """(C, L, H, W) 0-255 -> (L, h, w) uint8 on the flow grid."""
        if frames.dim() != 4 or frames.shape[0] not in (1, 3):
            raise ValueError('expected frames (C, L, H, W) with C = 1 or 3 '
                             f'on the 0-255 scale, found '
                             f'{tuple(frames.shape)}.')
        x = frames.detach().float().cpu()
        if x.shape[0] == 3:
            weights = torch.tensor(_BGR_WEIGHTS).view(3, 1, 1, 1)
            x = (x * weights).sum(dim=0, keepdim=True)
        grey = x[0].round().clamp(0, 255).to(torch.uint8).numpy()  # L x H x W
        if self.flow_size is not None and grey.shape[1:] != self.flow_size:
            size = (self.flow_size[1], self.flow_size[0])
            grey = np.stack([cv2.resize(g, size, interpolation=cv2.INTER_AREA)
                             for g in grey])
        return grey

    def _cell_ids(self, height: int, width: int) -> Tuple[np.ndarray,
                                                          np.ndarray]:
        """Cell id of every pixel (H*W,) and the pixel count per cell."""
        rows, cols = self.grid
        if height < rows or width < cols:
            raise ValueError(f'a {height}x{width} flow grid cannot hold '
                             f'{rows}x{cols} cells; use a larger input or '
                             'flow_size, or a coarser grid.')
        row = np.arange(height) * rows // height  # H
        col = np.arange(width) * cols // width  # W
        ids = (row[:, None] * cols + col[None, :]).reshape(-1)
        return ids, np.bincount(ids, minlength=rows * cols)

    def _pair_histogram(self, flow: np.ndarray, cell_ids: np.ndarray,
                        cell_sizes: np.ndarray) -> np.ndarray:
        """(H, W, 2) flow -> (cells, B) histogram."""
        magnitude, angle = cv2.cartToPolar(flow[..., 0], flow[..., 1])
        magnitude, angle = magnitude.reshape(-1), angle.reshape(-1)
        moving = magnitude >= self.noise_floor
        ids, magnitude, angle = (cell_ids[moving], magnitude[moving],
                                 angle[moving])
        cells, k_o, k_m = self.num_cells, self.orientation_bins, len(
            self.magnitude_edges)
        # bins centred on the directions 2 pi j / k_o, so a motion along +x
        # does not straddle the 0 / 2 pi seam
        o_bin = np.floor(angle * (k_o / (2 * np.pi)) + 0.5).astype(
            np.int64) % k_o
        orientation = np.bincount(ids * k_o + o_bin, weights=magnitude,
                                  minlength=cells * k_o).reshape(cells, k_o)
        m_bin = np.searchsorted(self.magnitude_edges, magnitude,
                                side='right') - 1
        keep = m_bin >= 0  # below the first edge: in no magnitude bin
        speed = np.bincount(ids[keep] * k_m + m_bin[keep],
                            minlength=cells * k_m).reshape(cells, k_m)
        hist = np.concatenate([orientation, speed], axis=1)
        return hist / cell_sizes[:, None]

    # ------------------------------------------------------------ public API
    def pair_descriptors(self, frames: torch.Tensor) -> torch.Tensor:
        """Histogram of the flow between each frame and the next.

        Args:
            frames (Tensor): One clip or video, (C, L, H, W), 0-255.

        Returns:
            Tensor: (L - 1, cells, B) float32 on the input's device.
        """
        grey = self._grey_frames(frames)
        cell_ids, cell_sizes = self._cell_ids(*grey.shape[1:])
        out = np.zeros((max(len(grey) - 1, 0), self.num_cells,
                        self.num_bins), np.float32)
        for t in range(len(grey) - 1):
            if np.array_equal(grey[t], grey[t + 1]):
                continue  # padding repeats a frame: exactly no motion
            flow = dense_flow(grey[t], grey[t + 1], self.flow_params)
            out[t] = self._pair_histogram(flow, cell_ids, cell_sizes)
        return torch.from_numpy(out).to(frames.device)

    def pool_windows(self, pairs: torch.Tensor,
                     windows: np.ndarray) -> torch.Tensor:
        """Window descriptors: mean of each window's pairs, then normalise.

        Args:
            pairs (Tensor): (L - 1, cells, B) from :meth:`pair_descriptors`.
            windows (np.ndarray): (S, T) frame ids into the same video; the
                pair (i, i+1) belongs to a window holding i followed by i+1
                (a repeated id adds no pair).

        Returns:
            Tensor: (S, cells, B).
        """
        windows = np.asarray(windows, np.int64).reshape(len(windows), -1)
        weights = np.zeros((len(windows), pairs.shape[0]), np.float32)
        for s, ids in enumerate(windows):
            steps = ids[:-1][ids[1:] == ids[:-1] + 1]
            if steps.size:
                weights[s, steps] = 1.0 / steps.size
        weights = torch.from_numpy(weights).to(pairs)
        z = torch.einsum('sp,pcb->scb', weights, pairs)  # S x cells x B
        if self.normalize != 'none':
            p = 1 if self.normalize == 'l1' else 2
            z = z / z.norm(p=p, dim=-1, keepdim=True).clamp(min=1e-12)
        return z

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """Descriptor of each clip: (N, C, T, H, W) -> (N, cells, B)."""
        if clips.dim() != 5:
            raise ValueError('expected clips (N, C, T, H, W), found '
                             f'{tuple(clips.shape)}.')
        window = np.arange(clips.shape[2])[None]  # one window per clip
        return torch.cat([
            self.pool_windows(self.pair_descriptors(clip), window)
            for clip in clips
        ]) if len(clips) else clips.new_zeros(0, self.num_cells,
                                              self.num_bins)

    def extra_repr(self) -> str:
        return (f'grid={self.grid}, orientation_bins={self.orientation_bins}'
                f', magnitude_edges={self.magnitude_edges.tolist()}, '
                f'noise_floor={self.noise_floor}, '
                f'normalize={self.normalize!r}, flow_size={self.flow_size}')
