"""Procedurally rendered scenes with known instance masks: the data the CPU configs, the demo and
the tests are measured on."""
from .renderer import SceneSpec, generate_scenes, render_scene

__all__ = ['SceneSpec', 'generate_scenes', 'render_scene']
