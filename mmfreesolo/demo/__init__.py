"""The main job on an embedded default: generated scenes and bundled photos, Free Mask, two
rounds of FreeSOLO, scored and drawn (``make demo``)."""
