_base_ = ['./cbad_ped2_cpu.py']
# Ablation M3: M2 + the prototype idea: prototype traction loss (eq. 10, 15)
# in training and the nearest-prototype Mahalanobis score D (eq. 17-18).
model = dict(
    scorers=dict(_delete_=True, D={{_base_.model.scorers.D}}),
    fusion=dict(weights=dict(_delete_=True, D=1.0)))
