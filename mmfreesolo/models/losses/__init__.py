from .embedding_cosine_loss import EmbeddingCosineLoss, embedding_cosine_loss
from .pairwise_affinity_loss import PairwiseAffinityLoss, neighbour_offsets
from .projection_loss import ProjectionDiceLoss, projection_dice_loss

__all__ = ['EmbeddingCosineLoss', 'embedding_cosine_loss', 'PairwiseAffinityLoss',
           'neighbour_offsets', 'ProjectionDiceLoss', 'projection_dice_loss']
