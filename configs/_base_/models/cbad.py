# The contrastive behaviour-anomaly detector of Tong & Wu (2026), the
# paper's recipe (docs/model_cbad.md maps every equation to a class here).
# Values the paper leaves open are chosen once, here, for every dataset:
#   loss weights lambda_1..3 = 1.0, 0.1, 0.1: instance contrast drives the
#     representation; prototype traction and smoothness pull embeddings
#     together, so they are kept small to avoid collapsing the space;
#   score weights alpha, beta, mu (D, T, R) = 0.4, 0.2, 0.4: T is a
#     difference of noisy embeddings (PAPER.md calibration: ~62 AUC alone),
#     so it gets half the weight of the two distance terms;
#   MAD factor lambda = 3; K = 8 prototypes from k-means on the training
#     embeddings (independent of the 3 motion groups, which only shape
#     training); covariance shrinkage 0.1 toward a scaled identity;
#   Q: empirical CDF with linear tails beyond the validation range.
embed_dim = 256
in_channels = 3
num_groups = 3  # motion groups (eq. 8): one EMA prototype each (eq. 10)
branch = dict(
    in_channels=in_channels,
    channels=(32, 64, 128, 256),
    out_dim=embed_dim,
    norm_cfg=dict(type='BN'))
model = dict(
    type='ContrastiveDetector',
    data_preprocessor=dict(
        type='ClipDataPreprocessor', mean=[127.5], std=[127.5]),
    encoder=dict(
        type='SpatioTemporalEncoder',
        spatial=dict(type='SpatialConvBranch', **branch),
        temporal=dict(type='TemporalDiffBranch', **branch),
        fusion=dict(type='GatedFusion')),
    # the fusion, aggregator, head and prototype widths are the branches'
    # out_dim (cbad.models.dims): embed_dim is set here and nowhere else
    aggregator=dict(type='TemporalAttentionAggregator'),
    head=dict(type='ProjectionHead'),
    view_augment=dict(type='ClipViewAugment'),
    instance_loss=dict(
        type='InstanceContrastLoss',
        tau=0.07,
        mask_same_video=True,
        loss_weight=1.0),
    prototype_loss=dict(
        type='PrototypeTractionLoss',
        num_groups=num_groups,
        loss_weight=0.1),
    smoothness_loss=dict(type='TemporalSmoothnessLoss', loss_weight=0.1),
    scorers=dict(
        D=dict(type='PrototypeMahalanobisScorer', num_prototypes=8,
               shrinkage=0.1),
        T=dict(type='TemporalResidualScorer'),
        R=dict(type='KNNSupportScorer', k=10)),
    fusion=dict(
        type='WeightedScoreFusion', weights=dict(D=0.4, T=0.2, R=0.4)),
    clip_len=16,  # windows: the dataset bases' segments
    stride=4,
    score_space='embedding',
    thresholder=dict(type='MADThresholder', lam=3.0))
# What a whole-frame recipe's training clips carry for these losses: their
# motion group (eq. 8; the flow noise floor keeps sensor noise from deciding
# the groups, see docs/model_cbad.md), as train_dataloader.dataset.
motion_groups = dict(
    num_groups=num_groups, flow_size=(60, 90), noise_floor=0.3)
