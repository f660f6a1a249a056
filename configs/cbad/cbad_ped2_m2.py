_base_ = ['./cbad_ped2.py']
# Ablation M2: spatio-temporal encoding, no prototype loss, scored by the
# distance to the normal centre (eq. 5).
# Paper Table 5 on the headline model, as cbad_ped2_m1.py: the learned
# terms share M's complement (0.25) in the headline's ratios.
_m = {{_base_.model.scorers.M}}
model = dict(
    prototype_loss=None,
    scorers=dict(_delete_=True, C=dict(type='CentreDistanceScorer'), M=_m),
    fusion=dict(weights=dict(_delete_=True, C=0.25, M=0.75)))
