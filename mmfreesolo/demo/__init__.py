"""The main job on an embedded default: generated scenes and bundled photos, DenseCL pretraining
on them, Free Mask, two rounds of FreeSOLO, scored and drawn (``make demo``)."""
