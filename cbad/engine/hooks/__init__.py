from .fit_detector_hook import FitDetectorHook
from .plain_message_hub_hook import PlainMessageHubHook
from .random_state_hook import RandomStateHook

__all__ = ['FitDetectorHook', 'PlainMessageHubHook', 'RandomStateHook']
