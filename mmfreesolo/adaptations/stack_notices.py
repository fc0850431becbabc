"""Notices of the pinned stack that say nothing to a user of this package, kept off the console:
setuptools' deprecation of ``pkg_resources`` (imported by mmengine and mmcv; the stack pins
setuptools below 82, where it still exists) and torch's note that mmdet calls ``torch.meshgrid``
without ``indexing`` (its behaviour is the one mmdet wants)."""
import warnings

STACK_NOTICES = (r'pkg_resources is deprecated', r'torch\.meshgrid: in an upcoming release')


def silence_stack_notices() -> None:
    for message in STACK_NOTICES:
        warnings.filterwarnings('ignore', message=message, category=UserWarning)
