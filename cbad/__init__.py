"""cbad: unsupervised video anomaly detection on mmengine."""
from .version import __version__

__all__ = ['__version__']
