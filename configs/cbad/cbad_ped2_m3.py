_base_ = ['./cbad_ped2.py']
# Ablation M3: + prototype loss, scored by D alone (eq. 17).
# Paper Table 5 on the headline model, as cbad_ped2_m1.py: the learned
# terms share M's complement (0.25) in the headline's ratios.
_m = {{_base_.model.scorers.M}}
model = dict(
    scorers=dict(_delete_=True, D={{_base_.model.scorers.D}}, M=_m),
    fusion=dict(weights=dict(_delete_=True, D=0.25, M=0.75)))
