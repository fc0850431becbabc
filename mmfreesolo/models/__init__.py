from .backbones import TorchvisionMobileNetV2

__all__ = ['TorchvisionMobileNetV2']
