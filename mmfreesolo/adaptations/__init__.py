"""The one place where torch, mmengine and mmcv are adapted to each other, applied once when
``mmfreesolo`` is imported (a config's ``custom_imports`` is enough): safe checkpoint loading,
CPU distributed runs, the ``mmfreesolo::`` config scope, mmcv's hue jitter under numpy 2, a
config's text formatted once, and the stack's notices kept off the console (before anything
imports mmengine)."""
from .stack_notices import silence_stack_notices

silence_stack_notices()

from .checkpoint_types import allow_mmengine_checkpoint_types  # noqa: E402
from .config_scope import configs_root, register_config_scope  # noqa: E402
from .config_text import remember_config_formatting  # noqa: E402
from .cpu_distributed import enable_cpu_distributed, finish_distributed  # noqa: E402
from .mmcv_hue import allow_negative_hue_shifts  # noqa: E402

_APPLIED = False


def apply() -> None:
    """Apply every adaptation once; later calls do nothing."""
    global _APPLIED
    if _APPLIED:
        return
    allow_mmengine_checkpoint_types()
    enable_cpu_distributed()
    register_config_scope()
    allow_negative_hue_shifts()
    remember_config_formatting()
    _APPLIED = True


__all__ = ['apply', 'configs_root', 'finish_distributed']
