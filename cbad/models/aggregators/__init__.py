from .mean_pool_aggregator import MeanPoolAggregator
from .temporal_attention_aggregator import TemporalAttentionAggregator

__all__ = ['TemporalAttentionAggregator', 'MeanPoolAggregator']
