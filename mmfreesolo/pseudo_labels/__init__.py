"""Pseudo-label files and the resumable labelling of images that writes them."""
