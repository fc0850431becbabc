"""Self-supervised dense pretraining on unlabeled images with mmpretrain's DenseCL: what
mmpretrain lacks for it. Imported by the pretraining configs' ``custom_imports``, so that
``import mmfreesolo`` (every other config) does not need mmpretrain."""
import mmfreesolo  # noqa: F401  (the adaptations, and the hooks of mmengine's root registry)

from .unlabeled_images import UnlabeledImages, read_skipped

__all__ = ['UnlabeledImages', 'read_skipped']
