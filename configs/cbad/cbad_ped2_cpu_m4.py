_base_ = ['./cbad_ped2_cpu.py']
# Ablation M4: M3 + the temporal residual term T (eq. 19), fused with D.
model = dict(
    scorers=dict(_delete_=True, D={{_base_.model.scorers.D}},
                 T={{_base_.model.scorers.T}}),
    fusion=dict(weights=dict(_delete_=True, D=0.4, T=0.2)))
