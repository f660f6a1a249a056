_base_ = ['./futurepred_ped2_64x96.py']
# Ablation of FFP's motion constraint (the paper's Table: 94.5 without,
# 95.4 with, on Ped2): the same recipe without the flow loss term.
model = dict(flow_loss=None)
