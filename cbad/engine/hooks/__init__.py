from .fit_detector_hook import FitDetectorHook

__all__ = ['FitDetectorHook']
