_base_ = ['./cbad_ped2.py']
# Ablation M4: + the temporal residual T (D and T, 2:1).
# Paper Table 5 on the headline model, as cbad_ped2_m1.py: the learned
# terms share M's complement (0.25) in the headline's ratios.
_m = {{_base_.model.scorers.M}}
model = dict(
    scorers=dict(_delete_=True, D={{_base_.model.scorers.D}},
                 T={{_base_.model.scorers.T}}, M=_m),
    fusion=dict(weights=dict(_delete_=True, D=1 / 6, T=1 / 12, M=0.75)))
