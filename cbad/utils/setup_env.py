"""Import every registered component and set the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all cbad components into the cbad registries.

    The imports are deliberately not wrapped in ``try``: a component that
    fails to import must fail here with its own traceback, not later with a
    puzzling "X is not in the registry".

    Args:
        init_default_scope (bool): Whether to make ``'cbad'`` the default
            scope so that configs can omit ``cbad.`` prefixes. Defaults to True.
    """
    import cbad.datasets  # noqa: F401
    import cbad.datasets.transforms  # noqa: F401
    import cbad.engine  # noqa: F401
    import cbad.evaluation  # noqa: F401
    import cbad.models  # noqa: F401
    import cbad.postprocessing  # noqa: F401
    import cbad.proposals  # noqa: F401
    from .checkpoint import register_checkpoint_loader
    register_checkpoint_loader()

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('cbad', scope_name='cbad')
    elif current.scope_name != 'cbad':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "cbad"; a new default scope "cbad" is created.')
        # Instance names must be unique, so add a timestamp.
        name = f'cbad-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='cbad')
