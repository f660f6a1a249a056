_base_ = ['./cbad_ped2_cpu.py']
# Ablation M2: M1 + the spatio-temporal joint encoding (gated fusion of the
# appearance and frame-difference branches, eq. 3, 4, 11).
model = dict(
    prototype_loss=None,
    scorers=dict(_delete_=True, C=dict(type='CentreDistanceScorer')),
    fusion=dict(weights=dict(_delete_=True, C=1.0)))
