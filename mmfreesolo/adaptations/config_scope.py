"""The ``mmfreesolo::`` config scope: ``_base_ = 'mmfreesolo::x.py'`` resolves to the configs
shipped in ``mmfreesolo/.mim/configs``, as ``mmdet::`` does for mmdet's."""
from __future__ import annotations

import os.path as osp

CONFIG_SCOPE = 'mmfreesolo::'


def register_config_scope() -> None:
    """Make ``_base_ = 'mmfreesolo::<path>'`` resolve to ``mmfreesolo/.mim/configs/<path>``.

    mmengine knows only a fixed list of scopes, wants a folder in the path (``mmdet::x/y.py``)
    and would tag the inherited dicts with a scope of their own. Our configs are mmdet configs
    (our modules register into mmdet's registries), so they are read with scope ``mmdet``.
    """
    from mmengine.config import Config

    get_cfg_path = Config._get_cfg_path
    if getattr(get_cfg_path, '_mmfreesolo', False):
        return

    def _get_cfg_path(cfg_path: str, filename: str):
        if not cfg_path.startswith(CONFIG_SCOPE):
            return get_cfg_path(cfg_path, filename)
        path = osp.join(configs_root(), cfg_path[len(CONFIG_SCOPE):])
        if not osp.isfile(path):
            raise FileNotFoundError(f'{cfg_path}: no such config in {configs_root()}')
        return path, 'mmdet'

    _get_cfg_path._mmfreesolo = True
    Config._get_cfg_path = staticmethod(_get_cfg_path)


def configs_root() -> str:
    """The folder that ``mmfreesolo::`` config paths are relative to."""
    return osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim', 'configs')
