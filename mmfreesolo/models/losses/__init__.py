from .pairwise_affinity_loss import PairwiseAffinityLoss, pairwise_log_disagreement
from .projection_loss import ProjectionDiceLoss, projection_dice_loss

__all__ = ['PairwiseAffinityLoss', 'pairwise_log_disagreement', 'ProjectionDiceLoss',
           'projection_dice_loss']
