from .group_mean import mean_over_groups
from .pairwise_affinity_loss import PairwiseAffinityLoss, neighbour_offsets
from .projection_loss import ProjectionDiceLoss, projection_dice_loss

__all__ = ['mean_over_groups', 'PairwiseAffinityLoss', 'neighbour_offsets',
           'ProjectionDiceLoss', 'projection_dice_loss']
