"""Build a thresholder from a config dict."""
from typing import Union

from cbad.registry import THRESHOLDERS
from .base_thresholder import BaseThresholder


def build_thresholder(cfg: Union[dict, BaseThresholder]) -> BaseThresholder:
    """Build a thresholder, e.g. ``dict(type='MADThresholder', lam=3.0)``.

    Args:
        cfg (dict | BaseThresholder): A config with a registered ``type``,
            or an already built thresholder (returned as is).

    Returns:
        BaseThresholder: The thresholder (not fitted).
    """
    if isinstance(cfg, BaseThresholder):
        return cfg
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(
            'a thresholder config must be a dict with a "type" key such as '
            f"dict(type='MADThresholder', lam=3.0), found {cfg!r}.")
    return THRESHOLDERS.build(cfg)
