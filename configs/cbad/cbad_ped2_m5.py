_base_ = ['./cbad_ped2.py']
# Ablation M5: + the neighbour support R instead of T (D and R, 1:1).
# Paper Table 5 on the headline model, as cbad_ped2_m1.py: the learned
# terms share M's complement (0.25) in the headline's ratios.
_m = {{_base_.model.scorers.M}}
model = dict(
    scorers=dict(_delete_=True, D={{_base_.model.scorers.D}},
                 R={{_base_.model.scorers.R}}, M=_m),
    fusion=dict(weights=dict(_delete_=True, D=0.125, R=0.125, M=0.75)))
