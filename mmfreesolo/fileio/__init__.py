"""Files at the bottom of every layer: JSON (atomic), images, COCO files, configs."""
