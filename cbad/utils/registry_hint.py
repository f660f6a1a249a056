"""Turn "X is not in the registry" into an error that names what exists."""
import contextlib
import difflib
import re
from typing import Dict, Iterable, Iterator, List

_MISSING = re.compile(r"^'?(?P<key>[\w.]+) is not in the (?:(?P<scope>\w+)::)?"
                      r'(?P<name>[\w ]+) registry')


def registered_names(registry) -> List[str]:
    """Names in ``registry``, its children and its parent chain."""
    names, seen, stack = set(), set(), [registry]
    root = registry
    while root.parent is not None:
        root = root.parent
        stack.append(root)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        names.update(node.module_dict)
        stack.extend(node.children.values())
    return sorted(names)


def nearest_names(key: str, names: Iterable[str], n: int = 5) -> List[str]:
    """Up to ``n`` of ``names`` that look like ``key``, the closest first.

    difflib's close matches; failing those, the names that contain the first
    four letters of ``key`` (case-insensitive), which catches a truncated or
    differently suffixed name (``Recon`` -> ``ReconstructionLoss``).

    Args:
        key (str): The name that was not found.
        names (Iterable[str]): The valid names.
        n (int): How many names at most. Defaults to 5.
    """
    names = list(names)
    close = difflib.get_close_matches(key, names, n=n, cutoff=0.5)
    if not close:
        lowered = key.lower()
        close = [name for name in names if lowered[:4] in name.lower()][:n]
    return close


#: cbad's registry nodes by name, filled by :mod:`cbad.registry` when it is
#: imported (so this ground-floor module never imports it).
_NODES: Dict[str, object] = {}


def add_hint_nodes(nodes: Iterable) -> None:
    """Make ``nodes`` (registries) the ones a message's registry name is
    looked up in (the first node of each name wins)."""
    for node in nodes:
        _NODES.setdefault(node.name, node)


def _cbad_node(name: str):
    return _NODES.get(name)


def hint_for_missing(message: str, registry=None) -> str:
    """Append the nearest registered names to a "not in registry" message.

    Args:
        message (str): The ``KeyError`` text mmengine raised.
        registry (Registry, optional): Where the name was looked up; by
            default the cbad node whose name the message mentions.
    """
    match = _MISSING.search(message)
    if match is None or 'Nearest registered names' in message:
        return message
    registry = registry or _cbad_node(match.group('name'))
    if registry is None:
        return message
    key = match.group('key').split('.')[-1]
    close = nearest_names(key, registered_names(registry))
    hint = (f' Nearest registered names: {", ".join(close)}.'
            if close else ' No similar name is registered.')
    return (f'{match.group("key")} is not in the '
            f'{match.group("scope") or registry.scope}::{registry.name} '
            f'registry.{hint} Check the `type` in your config (names are '
            'case-sensitive) and that the module defining it imports '
            'without error (cbad.registry.register_all_modules()).')


@contextlib.contextmanager
def with_name_hint(registry=None) -> Iterator[None]:
    """Re-raise a registry ``KeyError`` with the nearest valid names."""
    try:
        yield
    except KeyError as err:
        message = str(err.args[0]) if err.args else ''
        improved = hint_for_missing(message, registry)
        if improved is message:
            raise
        raise KeyError(improved) from None
