_base_ = ['./cbad_ped2_cpu.py']
# Ablation M1 (paper Table 5), the basic contrastive model: appearance only
# (no spatio-temporal joint encoding), no prototype loss, scored by the
# distance to the normal centre (eq. 5). The smoothness loss is not an
# ablation column in the paper, so it stays in every variant.
model = dict(
    encoder=dict(
        temporal=None,  # no motion branch
        fusion=dict(_delete_=True, type='SpatialOnlyFusion')),
    prototype_loss=None,
    scorers=dict(_delete_=True, C=dict(type='CentreDistanceScorer')),
    fusion=dict(weights=dict(_delete_=True, C=1.0)))
