"""Checkpoints: read safely, converted from other frameworks' layouts, checked against a model."""
from .conversion import backbone_state_dict, export_backbone
from .fitting import check_state_dict_fits, load_backbone_weights, resnet_depth
from .reading import checkpoint_progress, file_sha256, read_state_dict, resolve_checkpoint_path

__all__ = ['backbone_state_dict', 'check_state_dict_fits', 'checkpoint_progress',
           'export_backbone', 'file_sha256', 'load_backbone_weights', 'read_state_dict',
           'resnet_depth', 'resolve_checkpoint_path']
