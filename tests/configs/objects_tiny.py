# A tiny ObjectContrastiveDetector for unit tests: 16-dim embeddings, 8-frame
# tubes every 4 frames cut at 16x16, grey input; the proposer finds textured
# squares of >= 40 px. Tests override keys as they need.
D = 16
branch = dict(in_channels=1, channels=(4, 8), out_dim=D,
              norm_cfg=dict(type='GN', num_groups=2), pool='avg')
model = dict(
    type='ObjectContrastiveDetector',
    tubes=dict(
        proposer=dict(type='BackgroundMotionProposer', combine='and',
                      min_area=40),
        tracker=dict(iou_threshold=0.3, max_age=2),
        crop_size=16),
    tube_batch=8,
    data_preprocessor=dict(type='ClipDataPreprocessor', mean=[127.5],
                           std=[127.5]),
    encoder=dict(type='SpatioTemporalEncoder',
                 spatial=dict(type='SpatialConvBranch', **branch),
                 temporal=dict(type='TemporalDiffBranch', **branch),
                 fusion=dict(type='GatedFusion', dim=D)),
    aggregator=dict(type='TemporalAttentionAggregator', dim=D),
    head=dict(type='ProjectionHead', in_dim=D, hidden_dim=D, out_dim=8),
    view_augment=dict(type='ClipViewAugment'),
    prototype_loss=dict(type='PrototypeTractionLoss', num_groups=3, dim=D),
    smoothness_loss=dict(type='TemporalSmoothnessLoss'),
    scorers=dict(
        D=dict(type='PrototypeMahalanobisScorer', num_prototypes=2),
        T=dict(type='TemporalResidualScorer'),
        R=dict(type='KNNSupportScorer', k=3),
        M=dict(type='MotionAttributeScorer', k=3)),
    fusion=dict(type='WeightedScoreFusion',
                weights=dict(D=1.0, T=1.0, R=1.0, M=1.0)),
    clip_len=8,
    stride=4)
