from .class_agnostic_coco_metric import ClassAgnosticCocoMetric
from .class_agnostic_eval import evaluate_class_agnostic

__all__ = ['ClassAgnosticCocoMetric', 'evaluate_class_agnostic']
