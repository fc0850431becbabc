"""Datasets and dataset files: generated scenes and COCO file checks."""
