from .backbone_checkpoint_init import BackboneCheckpoint
from .torchvision_mobilenet_v2 import TorchvisionMobileNetV2

__all__ = ['BackboneCheckpoint', 'TorchvisionMobileNetV2']
