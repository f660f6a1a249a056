_base_ = ['./cbad_ped2_cpu.py']
# Ablation M5: M3 + the neighbour-support term R (eq. 20) instead of T.
model = dict(
    scorers=dict(_delete_=True, D={{_base_.model.scorers.D}},
                 R={{_base_.model.scorers.R}}),
    fusion=dict(weights=dict(_delete_=True, D=0.4, R=0.4)))
