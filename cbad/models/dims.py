"""Width inference: a part's feature size read from the part that feeds it.

Configs name the embedding size once (the encoder branches' ``out_dim``);
the fusion, aggregator, projection head and prototype loss take theirs from
the encoder when their config leaves the argument out. A value the config
does give is kept (so a config can still ask for a different head size).
"""
import inspect
from typing import Optional, Union

from torch import nn

from cbad.registry import MODELS


def with_dims(part: Optional[Union[dict, nn.Module]],
              **dims: int) -> Optional[Union[dict, nn.Module]]:
    """``part``'s config with each of ``dims`` added where the config leaves
    it out and the part's class takes it (a built module or None: as is).
    """
    if not isinstance(part, dict) or 'type' not in part:
        return part
    cls = part['type'] if inspect.isclass(part['type']) else MODELS.get(
        part['type'])
    if cls is None:  # unknown type: let the registry's build say so
        return part
    accepted = inspect.signature(cls.__init__).parameters
    missing = {k: v for k, v in dims.items()
               if k in accepted and k not in part}
    return dict(part, **missing) if missing else part
