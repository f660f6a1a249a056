"""What a proposal plugin returns for one frame."""
from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass
class FrameProposals:
    """Moving regions of one frame.

    Attributes:
        boxes (np.ndarray): (K, 4) float32 boxes ``x0, y0, x1, y1`` in
            input-frame pixels (x1, y1 exclusive), largest area first.
        areas (np.ndarray): (K,) float32 foreground area of each region in
            input-frame pixels.
        labels (np.ndarray): (h, w) int32 region index per pixel of the
            reduced grid (-1 background, k for ``boxes[k]``).
        flow (np.ndarray, optional): (h, w, 2) float32 flow from the previous
            frame on the reduced grid, in input-frame pixels/frame (zeros for
            a video's first frame); None for plugins without flow.
        scale (float): Size of the reduced grid relative to the input frame.
        frame_shape (tuple): (H, W) of the input frame.
        speed (np.ndarray, optional): (h, w) float32 ``|flow|`` per grid
            pixel when the plugin computed it anyway (read by
            :func:`~.motion_attributes.motion_attributes` instead of
            computing it again); None otherwise.
    """

    boxes: np.ndarray
    areas: np.ndarray
    labels: np.ndarray
    flow: Optional[np.ndarray]
    scale: float
    frame_shape: tuple
    speed: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.boxes)
