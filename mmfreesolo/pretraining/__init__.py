"""Self-supervised dense pretraining on unlabeled images with mmpretrain's DenseCL: what
mmpretrain lacks for it. Imported by the pretraining configs' ``custom_imports`` (which imports
``mmfreesolo`` first, its adaptations and hooks), so that ``import mmfreesolo``, what every other
config imports, does not need mmpretrain."""
from .unlabeled_images import UnlabeledImages, read_skipped

__all__ = ['UnlabeledImages', 'read_skipped']
